"""AbsorbMulSignIntoConv: Conv(W) -> Mul(a) -> Conv(W sgn(a)) -> Mul(|a|)."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.transforms.streamline import AbsorbMulSignIntoConv
from tests.transforms.streamline.graphs import Chain, check, constants_first, integers, op_types

SHAPE = [1, 3, 5, 5]
A = np.array([0.5, -0.25, 2.0, -1.0], np.float32)


def _model(weights):
    chain = Chain(SHAPE).op("Conv", weights, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    chain.op("Mul", A.reshape(1, 4, 1, 1))
    model = chain.model([1, 4, 5, 5])
    return model, model.graph.node[0].input[1]


def test_negative_channels_are_negated_in_bipolar_weights():
    weights = np.where(integers([4, 3, 3, 3], 0, 2, seed=5) > 0, 1.0, -1.0).astype(np.float32)
    model, w_name = _model(weights)
    model.set_tensor_datatype(w_name, DataType["BIPOLAR"])
    after = check(model, AbsorbMulSignIntoConv(), integers(SHAPE, 0, 8))
    assert op_types(after) == ["Conv", "Mul"]
    conv, mul = after.graph.node
    flipped = after.get_initializer(conv.input[1])
    assert np.array_equal(flipped, weights * np.array([1, -1, 1, -1]).reshape(4, 1, 1, 1))
    assert after.get_tensor_datatype(conv.input[1]) == DataType["BIPOLAR"]
    assert np.array_equal(after.get_initializer(mul.input[1]).reshape(-1), np.abs(A))


def test_wide_range_weights_get_a_wider_datatype():
    weights = integers([4, 3, 3, 3], -8, 8, seed=6)
    weights[1, 0, 0, 0] = -8.0  # negated: +8 leaves INT4
    model, w_name = _model(weights)
    model.set_tensor_datatype(w_name, DataType["INT4"])
    after = check(model, AbsorbMulSignIntoConv(), integers(SHAPE, 0, 8))
    assert after.get_tensor_datatype(after.graph.node[0].input[1]) == DataType["INT5"]


def _conv1x1(chain, weights, *bias):
    chain.op("Conv", weights, *bias, kernel_shape=[1, 1])


def test_only_a_conv_read_by_a_constant_mul_takes_the_signs():
    """In order: a Relu; a conv read by a Relu; a conv read by an Add of negative values
    (both stay); then a conv with float weights and a bias read by Mul(a, x): its negative
    channels' weights and bias are negated (no -0), the weights stay float."""
    rng = np.random.default_rng(7)
    w = [rng.integers(-2, 3, (3, 3, 1, 1)).astype(np.float32) * 0.5 for _ in range(3)]
    w[2][1] = 0.0  # a negated channel of zeros
    bias = np.array([1.0, -2.0, 0.5], np.float32)
    a = np.array([-0.5, -2.0, 4.0], np.float32).reshape(1, 3, 1, 1)
    chain = Chain([1, 3, 4, 4]).op("Relu")
    _conv1x1(chain, w[0])
    chain.op("Relu")
    _conv1x1(chain, w[1])
    chain.op("Add", np.float32(-1.5) * np.ones((1, 3, 1, 1), np.float32))
    _conv1x1(chain, w[2], bias)
    mul = chain.op("Mul", a).head
    model = constants_first(chain.model([1, 3, 4, 4]), mul)
    assert AbsorbMulSignIntoConv().apply(model)[1] is True
    model = constants_first(chain.model([1, 3, 4, 4]), mul)
    after = check(model, AbsorbMulSignIntoConv(), integers([1, 3, 4, 4], -4, 4))
    assert op_types(after) == ["Relu", "Conv", "Relu", "Conv", "Add", "Conv", "Mul"]
    convs = [n for n in after.graph.node if n.op_type == "Conv"]
    for conv, weights in zip(convs[:2], w[:2], strict=True):
        assert np.array_equal(after.get_initializer(conv.input[1]), weights)
    sign = np.array([-1.0, -1.0, 1.0])
    flipped = after.get_initializer(convs[2].input[1])
    assert np.array_equal(flipped, w[2] * sign.reshape(3, 1, 1, 1))
    assert not np.signbit(flipped[flipped == 0]).any()
    assert after.get_tensor_datatype(convs[2].input[1]) == DataType["FLOAT32"]
    assert np.array_equal(after.get_initializer(convs[2].input[2]), bias * sign)
    magnitude = after.get_initializer(after.graph.node[-1].input[1])  # sorted last again
    assert magnitude.shape == (1, 3, 1, 1)
    assert np.array_equal(magnitude.reshape(-1), [0.5, 2.0, 4.0])


def test_integer_weights_keep_a_datatype_that_still_holds_them():
    weights = integers([4, 3, 3, 3], -3, 4, seed=6)
    model, w_name = _model(weights)
    model.set_tensor_datatype(w_name, DataType["INT8"])
    after = check(model, AbsorbMulSignIntoConv(), integers(SHAPE, 0, 8))
    assert after.get_tensor_datatype(after.graph.node[0].input[1]) == DataType["INT8"]


@pytest.mark.parametrize("scale", [[0.5, 0.0, 2.0, 1.0], [0.0, -1.0, 2.0, 1.0]])
def test_a_zero_scale_is_not_negative(scale):
    weights = integers([4, 3, 3, 3], -3, 4, seed=8)
    chain = Chain(SHAPE).op("Conv", weights, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    chain.op("Mul", np.array(scale, np.float32).reshape(1, 4, 1, 1))
    after = check(chain.model([1, 4, 5, 5]), AbsorbMulSignIntoConv(), integers(SHAPE, 0, 8))
    expected = weights * np.where(np.array(scale) < 0, -1.0, 1.0).reshape(4, 1, 1, 1)
    assert np.array_equal(after.get_initializer(after.graph.node[0].input[1]), expected)
