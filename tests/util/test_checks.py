"""Numeric option checks: the values that crashed or were silently misread are refused."""

from __future__ import annotations

import math

import pytest

from qnnflow.errors import QnnflowError
from qnnflow.util.checks import int_at_least, positive_finite


@pytest.mark.parametrize("value", [0, -1, 0.0, math.nan, math.inf, -math.inf, True, "5", None])
def test_positive_finite_refuses(value):
    with pytest.raises(QnnflowError, match=r"^--x must be a positive finite number, got "):
        positive_finite(value, "--x")


@pytest.mark.parametrize("value", [1, 0.5, 30, 1e9])
def test_positive_finite_accepts(value):
    assert positive_finite(value, "--x") == float(value)


@pytest.mark.parametrize("value", [0, -5, True, False, 1.0, "3"])
def test_int_at_least_refuses(value):
    with pytest.raises(QnnflowError, match=r"^--n must be an integer >= 1, got "):
        int_at_least(value, 1, "--n")


def test_int_at_least_accepts():
    assert int_at_least(1, 1, "--n") == 1 and int_at_least(7, 1, "--n") == 7
