"""Transpose(p) -> Transpose(q) with q after p the identity  ==>  nothing (consumers of the
second read the first's input). Leaves NHWC streams between neighbouring hardware nodes.

p may have several readers (a fork, e.g. an NHWC feature map read by two hardware
branches): every inverse reader q is bypassed, and p goes once nothing reads it."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import attr as _attr


def _cancels(first, second) -> bool:
    p, q = _attr(first, "perm", []), _attr(second, "perm", [])
    return len(p) == len(q) and [p[i] for i in q] == list(range(len(p)))


def _is_graph_output(model: ModelWrapper, tensor: str) -> bool:
    return any(o.name == tensor for o in model.graph.output)


class RemoveTransposePairs(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for first in model.graph.node:
            if first.op_type != "Transpose":
                continue
            seconds = [
                q
                for q in model.find_consumers(first.output[0])
                if q.op_type == "Transpose"
                and _cancels(first, q)
                and not _is_graph_output(model, q.output[0])
            ]
            if not seconds:
                continue
            source = first.input[0]
            for second in seconds:
                target = second.output[0]
                for consumer in model.find_consumers(target):
                    for i, name in enumerate(consumer.input):
                        if name == target:
                            consumer.input[i] = source
                model.graph.node.remove(second)
            unread = not model.find_consumers(first.output[0])
            if unread and not _is_graph_output(model, first.output[0]):
                model.graph.node.remove(first)
            return model, True  # one Transpose per pass; model.transform repeats to a fixed point
        return model, False
