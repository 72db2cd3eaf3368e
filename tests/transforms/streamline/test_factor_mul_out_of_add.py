"""FactorMulOutOfAdd: Add(Mul(a, c), Mul(b, c)) -> Mul(Add(a, b), c)."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.transforms.streamline import FactorMulOutOfAdd
from qnnflow.util.graph_builder import GraphBuilder
from qnnflow.verify import verified_transform
from tests.transforms.streamline.graphs import integers, op_types

SHAPE = [1, 3, 4, 4]
SCALE = np.array([0.25, 0.5, 2.0], np.float32).reshape(1, 3, 1, 1)  # powers of two: exact


def _residual(scale_a=SCALE, scale_b=SCALE, extra_reader: bool = False) -> ModelWrapper:
    """a, b -> Mul(a, c_a) + Mul(b, c_b) -> y (and maybe Mul(a, c_a) -> Relu -> z too)."""
    g = GraphBuilder()
    a, b = g.add_input("a", SHAPE), g.add_input("b", SHAPE)
    scaled_a = g.node("Mul", [a, g.const("c_a", scale_a)], "scaled_a")
    scaled_b = g.node("Mul", [g.const("c_b", scale_b), b], "scaled_b")  # constant first
    outputs = [(g.node("Add", [scaled_a, scaled_b], "y"), SHAPE)]
    if extra_reader:
        outputs.append((g.node("Relu", [scaled_a], "z"), SHAPE))
    model = ModelWrapper(g.finish(outputs, "residual"))
    return model.transform(InferShapes())


def _feed(seed: int = 0) -> dict:
    return {"a": integers(SHAPE, 0, 256, seed), "b": integers(SHAPE, -128, 128, seed + 1)}


def test_one_scale_after_the_sum():
    after = verified_transform(_residual(), FactorMulOutOfAdd(), _feed())
    assert op_types(after) == ["Add", "Mul"]
    add, mul = after.graph.node
    assert list(add.input) == ["a", "b"] and mul.input[0] == add.output[0]
    assert np.array_equal(after.get_initializer(mul.input[1]), SCALE)


def test_different_scales_stay():
    other = SCALE * np.float32(2.0)
    after = verified_transform(_residual(scale_b=other), FactorMulOutOfAdd(), _feed())
    assert op_types(after) == ["Mul", "Mul", "Add"]


def test_a_scaled_branch_read_elsewhere_too_stays():
    after = verified_transform(_residual(extra_reader=True), FactorMulOutOfAdd(), _feed())
    assert op_types(after) == ["Mul", "Mul", "Add", "Relu"]


def test_the_float_rounding_matches_within_a_ulp_for_any_scale():
    """c*a + c*b and c*(a + b) differ only by float32 rounding for a non-power-of-two c."""
    scale = np.float32(0.0092452383)
    model = _residual(scale, scale)
    after = verified_transform(model, FactorMulOutOfAdd(), _feed(3), rtol=1e-6)
    assert op_types(after) == ["Add", "Mul"]
