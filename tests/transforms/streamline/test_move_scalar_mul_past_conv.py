"""MoveScalarMulPastConv: Mul(c) -> Conv -> Conv -> Mul(c); per-channel scales stay."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import MoveScalarMulPastConv
from tests.transforms.streamline.graphs import Chain, check, integers, op_types

SHAPE = [1, 3, 6, 6]


def _model(scale):
    weights = integers([4, 3, 3, 3], -3, 4, seed=2)
    chain = Chain(SHAPE).op("Mul", np.asarray(scale, np.float32))
    chain.op("Conv", weights, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    return chain.model([1, 4, 6, 6])


def test_scalar_scale_moves_behind_the_conv():
    after = check(_model(0.125), MoveScalarMulPastConv(), integers(SHAPE, 0, 8))
    assert op_types(after) == ["Conv", "Mul"]


def test_per_channel_input_scale_stays():
    scale = np.array([0.5, 0.25, 2.0]).reshape(1, 3, 1, 1)
    after = check(_model(scale), MoveScalarMulPastConv(), integers(SHAPE, 0, 8))
    assert op_types(after) == ["Mul", "Conv"]
