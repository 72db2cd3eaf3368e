"""Transpose(p) -> Transpose(q) with q after p the identity  ==>  nothing (consumers of the
second read the first's input). Leaves NHWC streams between neighbouring hardware nodes."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.to_hw.convert_conv_threshold import _attr


def _cancels(first, second) -> bool:
    p, q = _attr(first, "perm", []), _attr(second, "perm", [])
    return len(p) == len(q) and [p[i] for i in q] == list(range(len(p)))


class RemoveTransposePairs(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for second in model.graph.node:
            if second.op_type != "Transpose":
                continue
            first = model.find_producer(second.input[0])
            if first is None or first.op_type != "Transpose" or not _cancels(first, second):
                continue
            if model.find_consumers(first.output[0]) != [second]:
                continue
            if any(o.name == first.output[0] for o in model.graph.output):
                continue
            source, target = first.input[0], second.output[0]
            is_graph_output = any(o.name == target for o in model.graph.output)
            if is_graph_output:
                continue
            for consumer in model.find_consumers(target):
                for i, name in enumerate(consumer.input):
                    if name == target:
                        consumer.input[i] = source
            model.graph.node.remove(second)
            model.graph.node.remove(first)
            return model, True  # one pair per pass; model.transform repeats to a fixed point
        return model, False
