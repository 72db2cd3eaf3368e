"""A scale in front of a zero-padding is moved behind it:

    Mul(c) -> Pad(pads, constant 0)  ==>  Pad(pads, constant 0) -> Mul(c)

c * 0 = 0, so any scale commutes with zero padding; a per-channel c needs the channel
axis (1) unpadded. Pads given as an input (opset >= 11) or as an attribute are accepted;
an `axes` input is not.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    Matches,
    attr,
    channel_vector,
    const_mul_into,
    swap_past,
)


def _zero_pads(model: ModelWrapper, pad) -> np.ndarray | None:
    """The pads of a constant-zero Pad node, or None."""
    mode = attr(pad, "mode", b"constant")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "constant" or len(pad.input) > 3:
        return None
    if len(pad.input) >= 2:
        pads = model.get_initializer(pad.input[1])
        value = model.get_initializer(pad.input[2]) if len(pad.input) > 2 and pad.input[2] else 0
    else:
        pads, value = attr(pad, "pads"), attr(pad, "value", 0.0)
    if pads is None or value is None or np.any(np.asarray(value) != 0):
        return None
    return np.asarray(pads).reshape(-1)


class MoveMulPastPad(Transformation):
    """Push Muls downstream through constant-zero padding."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mul in model.graph.node:
            found = const_mul_into(model, mul, ("Pad",))
            if found is None:
                continue
            operand, pad = found
            pads = _zero_pads(model, pad)
            shape = model.get_tensor_shape(mul.output[0])
            if pads is None or channel_vector(operand[1], shape, axis=1) is None:
                continue
            rank = len(shape)
            if operand[1].size == 1 or (rank > 1 and pads[1] == 0 and pads[1 + rank] == 0):
                matches.add((mul, pad), operand[0])
        for mul, pad, data_index in matches:
            swap_past(model, mul, pad, data_index)
        return model, bool(matches)
