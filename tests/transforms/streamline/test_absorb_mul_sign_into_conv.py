"""AbsorbMulSignIntoConv: Conv(W) -> Mul(a) -> Conv(W sgn(a)) -> Mul(|a|)."""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType

from qnnflow.transforms.streamline import AbsorbMulSignIntoConv
from tests.transforms.streamline.graphs import Chain, check, integers, op_types

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
