"""The comparisons behind every gate: exact shapes, NaN/inf fail, strict output pairing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.verify.compare import (
    SCALE_FLOOR,
    ComparisonError,
    difference,
    max_relative_error,
    paired_outputs,
)

REF = np.array([[1.0, -4.0, 2.0, 0.5]])


def test_relative_error_is_max_abs_difference_over_max_abs_reference():
    actual = REF + np.array([[0.0, 0.0, -0.5, 0.25]])
    assert max_relative_error(actual, REF) == pytest.approx(0.5 / 4.0, abs=0.0)
    assert max_relative_error(REF, REF) == 0.0
    assert max_relative_error(-REF, REF) == pytest.approx(8.0 / 4.0, abs=0.0)


def test_relative_error_of_an_all_zero_reference_is_absolute_over_the_floor():
    zeros = np.zeros((2, 3))
    assert max_relative_error(zeros, zeros) == 0.0
    assert max_relative_error(zeros + 1e-7, zeros) == pytest.approx(1e-7 / SCALE_FLOOR)
    assert max_relative_error(zeros + 3e-6, zeros + 1e-9) == pytest.approx(
        (3e-6 - 1e-9) / SCALE_FLOOR
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("side", ["actual", "reference"])
def test_any_non_finite_value_is_an_infinite_error(bad, side):
    poisoned = REF.copy()
    poisoned[0, 2] = bad
    pair = (poisoned, REF) if side == "actual" else (REF, poisoned)
    assert max_relative_error(*pair) == math.inf
    assert max_relative_error(*pair) > 1e30  # `error > tol` fails: NaN would have passed
    name = side.replace("actual", "result")
    assert difference(*pair, tolerance=1.0) == f"1 non-finite value(s) (NaN or inf) in the {name}"


def test_shapes_must_match_exactly_no_broadcasting():
    column, row = np.ones((4, 1)), np.ones((1, 4))
    assert max_relative_error(column, row) == math.inf
    assert max_relative_error(np.ones((1, 4)), np.ones(4)) == math.inf
    assert difference(column, row, 1.0) == "shape (4, 1) != expected (1, 4)"


def test_difference_respects_the_tolerance():
    actual = REF * 1.001
    assert difference(REF, REF, 0.0) is None
    assert difference(actual, REF, 1e-2) is None
    why = difference(actual, REF, 1e-4)
    assert why is not None and why.startswith("relative error 0.001 > tolerance 0.0001")
    assert difference(actual, REF, 0.001 * 4 / 4) is None  # error == tolerance passes


def test_empty_tensors_of_the_same_shape_are_equal():
    assert max_relative_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0
    assert difference(np.zeros((0, 3)), np.zeros((0, 3)), 0.0) is None


def test_outputs_pair_by_position_even_when_renamed():
    assert paired_outputs(["a", "b"], ["x", "y"], "t") == [("a", "x"), ("b", "y")]


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (["a", "b"], ["a"], r"t: 1 output\(s\) \['a'\] where 2 were expected \['a', 'b'\]"),
        (["a"], ["a", "b"], "where 1 were expected"),
        ([], [], "nothing was compared"),
    ],
)
def test_output_counts_must_match_and_be_nonzero(before, after, message):
    with pytest.raises(ComparisonError, match=message) as caught:
        paired_outputs(before, after, "t")
    assert isinstance(caught.value, QnnflowError)


def test_integer_tensors_are_compared_as_float64():
    """No uint8 wrap-around (0 - 2 is not 254) and no int8 overflow (|-128| is 128)."""
    assert max_relative_error(np.array([0], np.uint8), np.array([2], np.uint8)) == 1.0
    assert max_relative_error(np.array([0], np.int8), np.array([-128], np.int8)) == 1.0
    assert max_relative_error(np.array([-128], np.int8), np.array([0], np.int8)) == 128 / 1e-6
