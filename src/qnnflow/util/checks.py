"""Checks of numeric options shared by the CLI and the library, so `--target-fps 0`,
`nan` or `--max-samples 0` are one clear line instead of a ZeroDivisionError or a silent
"use everything"."""

from __future__ import annotations

import math
from numbers import Integral, Real

from qnnflow.errors import QnnflowError


def positive_finite(value: object, what: str) -> float:
    """`value` as a float > 0 that is not NaN or infinite."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise QnnflowError(f"{what} must be a positive finite number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise QnnflowError(f"{what} must be a positive finite number, got {value!r}")
    return number


def int_at_least(value: object, minimum: int, what: str) -> int:
    """`value` as an int >= minimum; bools (ints to Python) are refused."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise QnnflowError(f"{what} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise QnnflowError(f"{what} must be an integer >= {minimum}, got {value}")
    return int(value)
