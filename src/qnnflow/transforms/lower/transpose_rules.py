"""Permutation helpers shared by the layout rewrites."""

from __future__ import annotations

from onnx import NodeProto
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.transforms.streamline.patterns import attr, sole_consumer

NHWC_TO_NCHW = [0, 3, 1, 2]


def perm_of(node: NodeProto) -> list[int] | None:
    """The permutation of a Transpose node (reversed axes when the attribute is absent)."""
    if node.op_type != "Transpose":
        return None
    return list(attr(node, "perm", [])) or None


def source_shape(out_shape: list[int], perm: list[int]) -> list[int]:
    """Shape of a Transpose's input, given its output shape and permutation."""
    shape = [0] * len(perm)
    for i, p in enumerate(perm):
        shape[p] = out_shape[i]
    return shape


def transpose_into(model: ModelWrapper, op_type: str, perm: list[int]) -> list[tuple]:
    """(transpose, consumer) pairs: a Transpose with `perm` read only by one `op_type` node."""
    pairs = []
    for transpose in model.graph.node:
        if perm_of(transpose) != perm:
            continue
        consumer = sole_consumer(model, transpose.output[0])
        if consumer is not None and consumer.op_type == op_type:
            if consumer.input[0] == transpose.output[0]:
                pairs.append((transpose, consumer))
    return pairs
