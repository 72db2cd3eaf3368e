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


def _conv(chain, weights, *bias):
    chain.op("Conv", weights, *bias, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])


def test_only_bias_free_data_inputs_take_the_scale():
    """In order: a Relu, a scale in front of a conv with a bias (stays); then a conv with an
    empty bias name (the scale moves)."""
    weights = integers([3, 3, 3, 3], -3, 4, seed=2)
    chain = Chain(SHAPE).op("Relu").op("Mul", np.float32(0.25))
    _conv(chain, weights, np.array([1.0, -2.0, 3.0], np.float32))
    chain.op("Mul", np.float32(2.0))
    _conv(chain, weights, "")
    model = chain.model(SHAPE)
    assert MoveScalarMulPastConv().apply(model)[1] is True
    after = check(chain.model(SHAPE), MoveScalarMulPastConv(), integers(SHAPE, 0, 4))
    assert op_types(after) == ["Relu", "Mul", "Conv", "Conv", "Mul"]


def test_a_scale_that_is_also_the_weights_stays():
    """Conv(s x, s x): the scaled map is data and weights; a later scale still moves."""
    chain = Chain([1, 3, 3, 3]).op("Mul", np.float32(0.5))
    chain.op("Conv", chain.head, kernel_shape=[3, 3], strides=[1, 1])
    chain.op("Mul", np.float32(2.0)).op("Conv", np.ones((1, 1, 1, 1), np.float32))
    after = check(chain.model([1, 1, 1, 1]), MoveScalarMulPastConv(), integers([1, 3, 3, 3], 0, 4))
    assert op_types(after) == ["Mul", "Conv", "Conv", "Mul"]
