"""AbsorbMulSignIntoFC: Gemm/MatMul(W) -> Mul(a) -> Gemm/MatMul(W sgn(a)) -> Mul(|a|)."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.transforms.streamline.absorb_mul_sign_into_fc import AbsorbMulSignIntoFC
from qnnflow.verify import verified_transform
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


def test_only_constant_weight_layers_followed_by_a_scale_are_rewritten():
    """x @ w (w a graph input) -> Mul(a) -> Relu -> MatMul(W1) -> Relu -> MatMul(W2) -> Mul(a):
    run-time weights cannot be negated and W1 feeds no scale; only W2 takes the signs."""
    w1, w2 = integers([6, 6], -2, 2, seed=7), integers([6, 4], -2, 2, seed=8)
    chain = Chain([1, 6])
    w_input = chain.builder.add_input("w", [6, 6])
    chain.op("MatMul", w_input).op("Mul", np.linspace(-1, 1, 6, dtype=np.float32)).op("Relu")
    chain.op("MatMul", w1).op("Relu").op("MatMul", w2).op("Mul", A.reshape(1, 4))
    feed = {"x": integers([1, 6], -2, 2), "w": integers([6, 6], -2, 2, seed=9)}
    after = verified_transform(chain.model([1, 4]), AbsorbMulSignIntoFC(), feed)
    weights = [after.get_initializer(n.input[1]) for n in after.graph.node if n.op_type == "MatMul"]
    assert weights[0] is None and np.array_equal(weights[1], w1)
    assert np.array_equal(weights[2], w2 * SIGN.reshape(1, 4))


def test_a_gemm_with_bias_or_a_forked_output_is_left_alone():
    """The bias would need negating too; a second reader of the product needs its signs."""
    weights = integers([4, 6], -2, 2, seed=6)
    biased = Chain([1, 6]).op("Gemm", weights, np.ones(4, np.float32), transB=1)
    biased = biased.op("Mul", A.reshape(1, 4)).model([1, 4])
    chain = Chain([1, 6]).op("Gemm", weights, transB=1)
    product = chain.head
    forked = chain.op("Mul", A.reshape(1, 4)).model([1, 4], also=((product, [1, 4]),))
    for model in (biased, forked):
        after = check(model, AbsorbMulSignIntoFC(), integers([1, 6], -2, 2))
        assert np.array_equal(after.get_initializer(after.graph.node[0].input[1]), weights)


def test_a_zero_scale_is_no_sign():
    """A channel scaled by 0 keeps its weights (and their datatype) whether or not another
    channel is negative."""
    weights = integers([6, 4], -2, 2, seed=6)
    weights[:, 1] = np.clip(weights[:, 1], -1, 1)
    weights[0, 0] = -2.0  # negated it would leave INT2
    for scale, sign in (
        ([0.0, 0.5, 2.0, 1.0], [1, 1, 1, 1]),
        ([0.0, -0.5, 2.0, 1.0], [1, -1, 1, 1]),
    ):
        model = _model("MatMul", weights, "INT2", scale=np.array([scale], np.float32))
        after = check(model, AbsorbMulSignIntoFC(), integers([1, 6], 0, 4))
        fc = after.graph.node[0]
        assert np.array_equal(after.get_initializer(fc.input[1]), weights * sign)
        assert after.get_tensor_datatype(fc.input[1]) == DataType["INT2"]


def test_batched_rows_and_a_scale_written_first():
    """A (1, 2, 6) input and Mul(a, y) with the constant as first input: the output channels
    are still the last axis."""
    weights = integers([6, 4], -2, 2, seed=6)
    model = Chain([1, 2, 6]).op("MatMul", weights).op("Mul", A.reshape(1, 1, 4)).model([1, 2, 4])
    mul = model.graph.node[1]
    mul.input[0], mul.input[1] = mul.input[1], mul.input[0]
    after = check(model, AbsorbMulSignIntoFC(), integers([1, 2, 6], 0, 4))
    fc, mul = after.graph.node
    assert np.array_equal(after.get_initializer(fc.input[1]), weights * SIGN.reshape(1, 4))
    scale = next(v for v in map(after.get_initializer, mul.input) if v is not None)
    assert np.array_equal(scale, np.abs(A).reshape(1, 1, 4))
