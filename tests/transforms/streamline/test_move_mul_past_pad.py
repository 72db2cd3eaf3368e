"""MoveMulPastPad: Mul(c) -> Pad(0) -> Pad(0) -> Mul(c), right/bottom padding included."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import MoveMulPastPad
from tests.transforms.streamline.graphs import Chain, check, floats, op_types

SHAPE = [1, 2, 5, 5]
RIGHT_BOTTOM = np.array([0, 0, 0, 0, 0, 0, 1, 1])


def _model(scale, pads, value=0.0):
    chain = Chain(SHAPE).op("Mul", np.asarray(scale, np.float32))
    chain.op("Pad", pads, np.float32(value), mode="constant")
    out = [int(d + pads[i] + pads[i + 4]) for i, d in enumerate(SHAPE)]
    return chain.model(out)


def test_channel_scale_moves_behind_zero_padding():
    scale = np.array([0.5, -2.0]).reshape(1, 2, 1, 1)
    after = check(_model(scale, RIGHT_BOTTOM), MoveMulPastPad(), floats(SHAPE))
    assert op_types(after) == ["Pad", "Mul"]


def test_channel_scale_stays_when_channels_are_padded():
    scale = np.array([0.5, -2.0]).reshape(1, 2, 1, 1)
    pads = np.array([0, 1, 0, 0, 0, 0, 0, 0])
    after = check(_model(scale, pads), MoveMulPastPad(), floats(SHAPE))
    assert op_types(after) == ["Mul", "Pad"]


def test_non_zero_padding_stays():
    after = check(_model(0.5, RIGHT_BOTTOM, value=1.0), MoveMulPastPad(), floats(SHAPE))
    assert op_types(after) == ["Mul", "Pad"]
