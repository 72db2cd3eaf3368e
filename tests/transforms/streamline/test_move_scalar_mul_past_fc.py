"""MoveScalarMulPastFC: Mul(c) -> Gemm/MatMul -> Gemm/MatMul -> Mul(c); others stay."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.transforms.streamline.move_scalar_mul_past_fc import MoveScalarMulPastFC
from qnnflow.verify import verified_transform
from tests.transforms.streamline.graphs import Chain, check, integers, op_types


def _model(op_type: str, scale, *extra, **attrs):
    weights = integers([4, 6] if attrs.get("transB") else [6, 4], -3, 4, seed=2)
    chain = Chain([1, 6]).op("Mul", np.asarray(scale, np.float32))
    chain.op(op_type, weights, *extra, **attrs)
    return chain.model([1, 4])


@pytest.mark.parametrize(
    "op_type,attrs",
    [("Gemm", {"transB": 1}), ("Gemm", {"alpha": 0.5}), ("MatMul", {})],
)
def test_scalar_scale_moves_behind_the_fully_connected_layer(op_type, attrs):
    after = check(_model(op_type, 0.125, **attrs), MoveScalarMulPastFC(), integers([1, 6], -4, 4))
    assert op_types(after) == [op_type, "Mul"]


def test_per_channel_scale_and_gemm_bias_stay():
    per_input = np.linspace(0.5, 3.0, 6).reshape(1, 6)
    after = check(_model("MatMul", per_input), MoveScalarMulPastFC(), integers([1, 6], -4, 4))
    assert op_types(after) == ["Mul", "MatMul"]
    biased = _model("Gemm", 0.5, np.ones(4, np.float32), transB=1)
    after = check(biased, MoveScalarMulPastFC(), integers([1, 6], -4, 4))
    assert op_types(after) == ["Mul", "Gemm"]


def test_a_scale_moves_through_consecutive_layers_past_other_nodes():
    """Mul -> Relu -> Mul -> MatMul -> MatMul: the scale after the Relu moves behind both
    layers (one per sweep); the one feeding the Relu stays."""
    chain = Chain([1, 6]).op("Mul", np.float32(2.0)).op("Relu").op("Mul", np.float32(0.125))
    chain.op("MatMul", integers([6, 4], -3, 4, seed=2)).op("MatMul", integers([4, 3], -3, 4))
    after = check(chain.model([1, 3]), MoveScalarMulPastFC(), integers([1, 6], -4, 4))
    assert op_types(after) == ["Mul", "Relu", "MatMul", "MatMul", "Mul"]


def test_a_scale_feeding_both_operands_stays():
    """(c x)(c x) = c^2 (x x): moving c behind the product once would be wrong. A later
    scalar scale in front of a weight still moves."""
    chain = Chain([4, 4]).op("Mul", np.float32(0.5))
    chain.op("MatMul", chain.head).op("Mul", np.float32(0.25))
    chain.op("MatMul", integers([4, 3], -3, 4, seed=2))
    after = check(chain.model([4, 3]), MoveScalarMulPastFC(), integers([4, 4], -4, 4))
    assert op_types(after) == ["Mul", "MatMul", "MatMul", "Mul"]


def test_a_biased_gemm_does_not_stop_the_next_layer():
    chain = Chain([1, 6]).op("Mul", np.float32(0.5))
    chain.op("Gemm", integers([4, 6], -3, 4, seed=2), np.ones(4, np.float32), transB=1)
    chain.op("Mul", np.float32(0.25)).op("MatMul", integers([4, 3], -3, 4))
    after = check(chain.model([1, 3]), MoveScalarMulPastFC(), integers([1, 6], -4, 4))
    assert op_types(after) == ["Mul", "Gemm", "MatMul", "Mul"]


def test_a_scalar_add_is_no_scale():
    chain = Chain([1, 6]).op("Add", np.float32(0.5)).op("MatMul", integers([6, 4], -3, 4))
    after = check(chain.model([1, 4]), MoveScalarMulPastFC(), integers([1, 6], -4, 4))
    assert op_types(after) == ["Add", "MatMul"]


def test_a_scale_on_the_right_operand_stays_and_the_next_one_moves():
    """y @ (c x) is matched on neither operand order (only a scale of the left input moves);
    the scalar scale in front of the following weight layer still moves."""
    chain = Chain([6, 4]).op("Mul", np.float32(0.5))
    y = chain.builder.add_input("y", [1, 6])
    chain.head = chain.builder.node("MatMul", [y, chain.head], "right")
    chain.op("Mul", np.float32(0.25)).op("MatMul", integers([4, 3], -3, 4, seed=2))
    feed = {"x": integers([6, 4], -4, 4), "y": integers([1, 6], -4, 4, seed=1)}
    after = verified_transform(chain.model([1, 3]), MoveScalarMulPastFC(), feed)
    assert op_types(after) == ["Mul", "MatMul", "MatMul", "Mul"]
