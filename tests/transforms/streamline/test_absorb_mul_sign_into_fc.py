"""AbsorbMulSignIntoFC: Gemm/MatMul(W) -> Mul(a) -> Gemm/MatMul(W sgn(a)) -> Mul(|a|)."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.transforms.streamline.absorb_mul_sign_into_fc import AbsorbMulSignIntoFC
from tests.transforms.streamline.graphs import Chain, check, integers, op_types

A = np.array([0.5, -0.25, 2.0, -1.0], np.float32)
SIGN = np.array([1, -1, 1, -1])


def _model(op_type, weights, dtype, scale=None, **attrs):
    scale = A.reshape(1, 4) if scale is None else scale
    chain = Chain([1, 6]).op(op_type, weights, **attrs).op("Mul", scale)
    model = chain.model([1, 4])
    model.set_tensor_datatype(model.graph.node[0].input[1], DataType[dtype])
    return model


@pytest.mark.parametrize(
    "op_type,attrs,shape", [("Gemm", {"transB": 1}, [4, 6]), ("MatMul", {}, [6, 4])]
)
def test_negative_channels_are_negated_on_the_output_axis(op_type, attrs, shape):
    weights = np.where(integers(shape, 0, 2, seed=5) > 0, 1.0, -1.0).astype(np.float32)
    model = _model(op_type, weights, "BIPOLAR", **attrs)
    after = check(model, AbsorbMulSignIntoFC(), integers([1, 6], -2, 2))
    assert op_types(after) == [op_type, "Mul"]
    fc, mul = after.graph.node
    sign = SIGN.reshape(4, 1) if attrs.get("transB") else SIGN.reshape(1, 4)
    assert np.array_equal(after.get_initializer(fc.input[1]), weights * sign)
    assert after.get_tensor_datatype(fc.input[1]) == DataType["BIPOLAR"]
    assert np.array_equal(after.get_initializer(mul.input[1]), np.abs(A).reshape(1, 4))


def test_wide_range_weights_get_a_wider_datatype():
    weights = integers([6, 4], -2, 2, seed=6)
    weights[0, 1] = -2.0  # negated: +2 leaves INT2
    after = check(_model("MatMul", weights, "INT2"), AbsorbMulSignIntoFC(), integers([1, 6], 0, 4))
    assert after.get_tensor_datatype(after.graph.node[0].input[1]) == DataType["INT3"]


def test_positive_and_scalar_scales_are_left_alone():
    weights = integers([6, 4], -2, 2, seed=6)
    for scale in (np.abs(A).reshape(1, 4), np.float32(0.5)):
        model = _model("MatMul", weights, "INT2", scale=scale)
        after = check(model, AbsorbMulSignIntoFC(), integers([1, 6], 0, 4))
        assert np.array_equal(after.get_initializer(after.graph.node[0].input[1]), weights)
