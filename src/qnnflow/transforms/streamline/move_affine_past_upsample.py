"""A constant scale or shift in front of a nearest-neighbour upsampling is moved behind it:

    Mul(c) -> Resize/Upsample(nearest)  ==>  Resize/Upsample(nearest) -> Mul(c)
    Add(b) -> Resize/Upsample(nearest)  ==>  Resize/Upsample(nearest) -> Add(b)

(c, b scalar or per channel.) Nearest upsampling copies pixels, so any per-channel
elementwise operation commutes with it; the channel count must stay (scale 1 on axis 1).
Other modes (linear, cubic) mix pixels and are left alone.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    Matches,
    attr,
    channel_vector,
    const_operand,
    sole_consumer,
    swap_past,
)

UPSAMPLES = ("Resize", "Upsample")


def is_nearest_upsample(model: ModelWrapper, node) -> bool:
    """True for a Resize/Upsample in nearest mode that keeps the channel count."""
    if node.op_type not in UPSAMPLES or len(node.output) != 1:
        return False
    mode = attr(node, "mode", b"nearest")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "nearest":
        return False
    before, after = (model.get_tensor_shape(t) for t in (node.input[0], node.output[0]))
    return before is not None and after is not None and before[:2] == after[:2]


class MoveAffinePastUpsample(Transformation):
    """Push constant Muls and Adds downstream through nearest upsampling."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for node in model.graph.node:
            operand = const_operand(model, node) if node.op_type in ("Mul", "Add") else None
            if operand is None:
                continue
            reader = sole_consumer(model, node.output[0])
            if reader is None or reader.input[0] != node.output[0]:
                continue
            shape = model.get_tensor_shape(node.output[0])
            if not is_nearest_upsample(model, reader) or shape is None:
                continue
            if channel_vector(operand[1], shape, axis=1) is not None:
                matches.add((node, reader), operand[0])
        for node, upsample, data_index in matches:
            swap_past(model, node, upsample, data_index)
        return model, bool(matches)
