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
