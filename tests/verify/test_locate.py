"""How the first differing node is described: the element with the largest difference (the
first non-finite mismatch before any finite one, NaN where it was NaN unchanged), values as
the tensor holds them, and the region's inputs of the same shape at that element."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.util.graph_builder import GraphBuilder
from qnnflow.verify.locate import first_difference

NAN, INF = float("nan"), float("inf")


def graph(op_type: str, inputs: dict[str, list[int]], operands: list[str]) -> ModelWrapper:
    """One node `op_type`(operands) -> y [1, 4]; operands not in `inputs` are constants."""
    b = GraphBuilder()
    for name, shape in inputs.items():
        b.add_input(name, shape)
    names = [n if n in inputs else b.const(n, np.full([1, 4], 2.0)) for n in operands]
    y = b.node(op_type, names, "y")
    return ModelWrapper(b.finish([(y, [1, 4])], "one_node"))


def located(model: ModelWrapper, new_y, old_y, **tensors) -> str:
    """first_difference of `model` against itself where only y differs."""
    new = {name: np.asarray(value) for name, value in tensors.items()}
    old = dict(new)
    new["y"], old["y"] = np.asarray(new_y), np.asarray(old_y)
    return first_difference(model, model, old, new, rtol=0.0)


X = np.array([[1.5, 2.5, 3.5, 4.5]], np.float32)
MUL = graph("Mul", {"x": [1, 4]}, ["x", "w"])


@pytest.mark.parametrize(
    "new_y, index",
    [
        ([[0.0, INF, 0.0, NAN]], 1),  # the first non-finite mismatch, inf or NaN alike
        ([[0.5, NAN, 0.0, 0.0]], 1),  # a NaN mismatch outweighs any finite difference
        ([[NAN, 0.5, 0.0, 0.0]], 1),  # NaN where it was NaN: unchanged
    ],
)
def test_the_element_shown_is_the_first_non_finite_mismatch_or_the_largest(new_y, index):
    old_y = [[NAN if np.isnan(new_y[0][0]) else 0.0, 0.0, 0.0, 0.0]]
    new_y = np.array(new_y, np.float32)
    text = located(MUL, new_y, np.array(old_y, np.float32), x=X)
    value = np.float32(new_y[0, index])
    assert f"; at [0, {index}]: {value} where it was 0.0; region input there: 'x' = " in text


def test_a_single_element_tensor_shows_its_element():
    model = graph("Mul", {"x": [1, 1]}, ["x", "x"])
    one = np.ones([1, 1], np.float32)
    text = located(model, 3 * one, 2 * one, x=one)
    assert text.endswith("; at [0, 0]: 3.0 where it was 2.0; region input there: 'x' = 1.0)")


def test_values_are_shown_as_the_tensor_holds_them():
    integers = located(MUL, np.array([[0, 3, 0, 0]]), np.zeros([1, 4], np.int64), x=X)
    assert "; at [0, 1]: 3 where it was 0;" in integers
    third = np.array([[0.0, 1 / 3, 0.0, 0.0]])  # float64 shown at float32 precision
    assert "; at [0, 1]: 0.33333334 where it was 0.0;" in located(MUL, third, 0 * third, x=X)


def test_a_changed_shape_has_no_element_to_show():
    text = located(MUL, np.zeros([4, 1], np.float32), np.zeros([1, 4], np.float32), x=X)
    assert text.endswith("(tensor 'y': shape (4, 1) != expected (1, 4))")


def test_region_inputs_are_listed_once_each_and_only_where_they_have_the_shape():
    y = np.array([[0.0, 0.0, 9.0, 0.0]], np.float32)
    twice = located(graph("Mul", {"x": [1, 4]}, ["x", "x"]), y, 0 * y, x=X)
    assert twice.endswith("region input there: 'x' = 3.5)")
    both = graph("Add", {"x": [1, 4], "z": [1, 4]}, ["x", "z"])
    text = located(both, y, 0 * y, x=X, z=2 * X)
    assert text.endswith("region input there: 'x' = 3.5, 'z' = 7.0)")
    broadcast = graph("Add", {"x": [1, 1]}, ["x", "w"])
    text = located(broadcast, y, 0 * y, x=np.ones([1, 1], np.float32))
    assert text.endswith("; at [0, 2]: 9.0 where it was 0.0)")
