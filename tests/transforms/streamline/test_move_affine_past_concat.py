"""MoveAffinePastConcat: Concat(Mul(a, c), Mul(b, d)) -> Mul(Concat(a, b), [c, d])."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.transforms.streamline import MoveAffinePastConcat
from qnnflow.util.graph_builder import GraphBuilder
from tests.transforms.streamline.graphs import check, floats, op_types

SHAPE = [1, 2, 3, 3]


def _model(first, second, ops=("Mul", "Mul")) -> ModelWrapper:
    """x -> op0(first) -> a; x -> Relu -> op1(second) -> b; Concat(a, b) (None: no op)."""
    gb = GraphBuilder()
    x = gb.add_input("x", SHAPE)
    parts = [x, gb.node("Relu", [x], "relu")]
    for i, (op, value) in enumerate(zip(ops, (first, second), strict=True)):
        if value is not None:
            const = gb.const(f"c{i}", np.asarray(value, np.float32))
            parts[i] = gb.node(op, [parts[i], const], f"{op.lower()}{i}")
    y = gb.node("Concat", parts, "y", axis=1)
    model = ModelWrapper(gb.finish([(y, [1, 4, 3, 3])], "concat"))
    return model.transform(InferShapes()).transform(InferDataTypes())


def _constant(model: ModelWrapper) -> np.ndarray:
    node = model.graph.node[-1]
    return model.get_initializer(node.input[1])


@pytest.mark.parametrize("op", ["Mul", "Add"])
def test_equal_scalars_become_one_scalar(op):
    model = _model(np.float32(0.25), np.float32(0.25), (op, op))
    after = check(model, MoveAffinePastConcat(), floats(SHAPE))
    assert op_types(after) == ["Relu", "Concat", op]
    assert _constant(after).size == 1 and _constant(after) == np.float32(0.25)


def test_channel_scales_concatenate():
    c = np.array([0.5, -3.0], np.float32).reshape(1, 2, 1, 1)
    after = check(_model(c, np.float32(0.7)), MoveAffinePastConcat(), floats(SHAPE, 1))
    assert op_types(after) == ["Relu", "Concat", "Mul"]
    assert np.array_equal(_constant(after).reshape(-1), np.float32([0.5, -3.0, 0.7, 0.7]))


@pytest.mark.parametrize(
    ("first", "second", "ops"),
    [
        (np.float32(0.5), None, ("Mul", "Mul")),  # one input carries no scale
        (np.float32(0.5), np.float32(0.5), ("Mul", "Add")),  # a scale and a shift
        (np.full((1, 1, 3, 1), 0.5, np.float32), np.float32(0.5), ("Mul", "Mul")),  # spatial
    ],
    ids=["unscaled-input", "mixed-kinds", "spatial"],
)
def test_refused(first, second, ops):
    model = _model(first, second, ops)
    after = check(model, MoveAffinePastConcat(), floats(SHAPE))
    assert op_types(after) == op_types(model)


def test_a_scale_read_elsewhere_too_stays():
    model = _model(np.float32(0.5), np.float32(0.5))
    info = model.get_tensor_valueinfo("mul0")
    model.graph.value_info.remove(info)
    model.graph.output.append(info)
    after = check(model, MoveAffinePastConcat(), floats(SHAPE))
    assert op_types(after) == op_types(model)


def _graph(nodes, outputs, shape=SHAPE) -> ModelWrapper:
    """Input x; nodes (op, inputs, output, attrs) in order; constants named c* (see CONSTS)."""
    gb = GraphBuilder()
    gb.add_input("x", shape)
    for name, value in CONSTS.items():
        gb.const(name, value)
    for op, inputs, output, attrs in nodes:
        gb.node(op, inputs, output, **attrs)
    model = ModelWrapper(gb.finish(outputs, "g"))
    return model.transform(InferShapes()).transform(InferDataTypes())


CONSTS = {
    "c_half": np.float32(0.5),
    "c_quarter": np.float32(0.25),
    "c_rows": np.array([1.0, -2.0, 0.5], np.float32).reshape(1, 1, 3, 1),
    "c_rows2": np.array([4.0, 0.25, -1.0], np.float32).reshape(1, 1, 3, 1),
}


def _n(op, inputs, output, **attrs):
    return (op, inputs, output, attrs)


def test_only_concats_of_sole_scaled_inputs_join_and_name_the_new_node():
    """In order: an Add of two scaled tensors (no Concat), a Concat of one scaled tensor
    twice, a Concat with a square (no constant): all stay; then a three-input Concat of scales
    and a nameless Concat of shifts: one Mul and one Add behind them, right after each."""
    nodes = [
        _n("Relu", ["x"], "r"),
        _n("Mul", ["x", "c_half"], "a1"),
        _n("Mul", ["r", "c_quarter"], "a2"),
        _n("Add", ["a1", "a2"], "added"),
        _n("Mul", ["x", "c_half"], "t1"),
        _n("Concat", ["t1", "t1"], "twice", axis=1),
        _n("Mul", ["x", "x"], "sq"),
        _n("Mul", ["r", "c_half"], "s1"),
        _n("Concat", ["sq", "s1"], "with_square", axis=1),
        _n("Mul", ["x", "c_half"], "m1"),
        _n("Mul", ["r", "c_quarter"], "m2"),
        _n("Mul", ["x", "c_quarter"], "m3"),
        _n("Concat", ["m1", "m2", "m3"], "three", axis=1),
        _n("Relu", ["three"], "three_out"),
        _n("Add", ["x", "c_half"], "h1"),
        _n("Add", ["r", "c_half"], "h2"),
        _n("Concat", ["h1", "h2"], "shifted", axis=1),
    ]
    outputs = [("added", SHAPE), ("twice", [1, 4, 3, 3]), ("with_square", [1, 4, 3, 3])]
    outputs += [("three_out", [1, 6, 3, 3]), ("shifted", [1, 4, 3, 3])]
    model = _graph(nodes, outputs)
    next(n for n in model.graph.node if n.output[0] == "shifted").name = ""
    assert MoveAffinePastConcat().apply(model)[1] is True
    names = [n.name for n in model.graph.node]
    assert names[names.index("three") + 1] == "three_scale"
    assert names[names.index("") + 1] == "shifted_shift"
    scale = model.get_initializer(model.graph.node[names.index("three_scale")].input[1])
    assert np.array_equal(scale.reshape(-1), np.float32([0.5, 0.5, 0.25, 0.25, 0.25, 0.25]))
    after = check(_graph(nodes, outputs), MoveAffinePastConcat(), floats(SHAPE))
    assert op_types(after).count("Concat") == 4 and op_types(after).count("Add") == 2


@pytest.mark.parametrize("axis", [2, -2])
def test_row_scales_join_along_the_concat_axis(axis):
    nodes = [
        _n("Relu", ["x"], "r"),
        _n("Mul", ["x", "c_rows"], "m1"),
        _n("Mul", ["r", "c_rows2"], "m2"),
        _n("Concat", ["m1", "m2"], "rows", axis=axis),
    ]
    model = _graph(nodes, [("rows", [1, 2, 6, 3])])
    after = check(model, MoveAffinePastConcat(), floats(SHAPE))
    assert op_types(after) == ["Relu", "Concat", "Mul"]
    scale = after.get_initializer(after.graph.node[-1].input[1])
    expected = np.concatenate([CONSTS["c_rows"], CONSTS["c_rows2"]], axis=2)
    assert np.array_equal(scale, expected)
