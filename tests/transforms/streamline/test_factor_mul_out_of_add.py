"""FactorMulOutOfAdd: Add(Mul(a, c), Mul(b, c)) -> Mul(Add(a, b), c)."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.transforms.streamline import FactorMulOutOfAdd
from qnnflow.util.graph_builder import GraphBuilder
from qnnflow.verify import verified_transform
from tests.transforms.streamline.graphs import constants_first, integers, op_types

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


def _graph() -> ModelWrapper:
    """Inputs a, b, constants c = SCALE and d = 2 SCALE, and in order: an Add of one scaled
    tensor to itself, a product of two equally scaled tensors, an Add of differently scaled
    ones (all stay); then a matching Add with its scales' constants on input 0 and a reader."""
    g = GraphBuilder()
    g.add_input("a", SHAPE), g.add_input("b", SHAPE)
    c, d = g.const("c", SCALE), g.const("d", SCALE * np.float32(2))
    nodes = [
        ("Mul", ["a", c], "s1"),
        ("Add", ["s1", "s1"], "twice"),
        ("Mul", ["a", c], "p1"),
        ("Mul", ["b", c], "p2"),
        ("Mul", ["p1", "p2"], "product"),
        ("Mul", ["a", c], "d1"),
        ("Mul", ["b", d], "d2"),
        ("Add", ["d1", "d2"], "mixed"),
        ("Mul", ["a", c], "m1"),
        ("Mul", ["b", c], "m2"),
        ("Add", ["m1", "m2"], "sum"),
        ("Relu", ["sum"], "out"),
    ]
    for op, inputs, output in nodes:
        g.node(op, inputs, output)
    outputs = [(o, SHAPE) for o in ("twice", "product", "mixed", "out")]
    model = ModelWrapper(g.finish(outputs, "g")).transform(InferShapes())
    return constants_first(model, "m1", "m2")


def test_only_an_add_of_two_distinct_equally_scaled_tensors_factors():
    model = _graph()
    assert FactorMulOutOfAdd().apply(model)[1] is True
    # the new scale right behind its Add, before the Relu that reads it
    names = ["s1", "p1", "p2", "d1", "d2", "twice", "product", "mixed", "sum", "sum_scale", "out"]
    assert [n.name for n in model.graph.node] == names
    after = verified_transform(_graph(), FactorMulOutOfAdd(), _feed())
    assert op_types(after).count("Mul") == 7  # s1, p1, p2, product, d1, d2, sum_scale
