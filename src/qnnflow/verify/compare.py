"""The one way two results are compared: shapes must match exactly (no broadcasting), any
NaN or infinity is a failure, and outputs pair by position with equal counts (a transform may
rename an output but never drop, add or reorder one), so a gate cannot pass by comparing
nothing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qnnflow.errors import QnnflowError

SCALE_FLOOR = 1e-6  # below this the reference counts as all zeros: the error is absolute


class ComparisonError(QnnflowError):
    """Two results cannot be compared (different output counts, nothing to compare)."""


def max_relative_error(actual: np.ndarray, reference: np.ndarray) -> float:
    """max |a - r| / max |r| (one number per tensor, robust to values near zero); inf when the
    shapes differ or either side holds a NaN or an infinity, so `error > tol` always fails."""
    a = np.asarray(actual, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if a.shape != r.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(r))):
        return float("inf")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(r))), SCALE_FLOOR)
    return float(np.max(np.abs(a - r))) / scale


def difference(actual: np.ndarray, reference: np.ndarray, tolerance: float) -> str | None:
    """None when `actual` equals `reference` within the relative `tolerance`, else why not."""
    a, r = np.asarray(actual), np.asarray(reference)
    if a.shape != r.shape:
        return f"shape {a.shape} != expected {r.shape}"
    for side, values in (("result", a), ("reference", r)):
        bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        if bad:
            return f"{bad} non-finite value(s) (NaN or inf) in the {side}"
    error = max_relative_error(a, r)
    if error > tolerance:
        return f"relative error {error:.3g} > tolerance {tolerance:g}"
    return None


def paired_outputs(before: Sequence[str], after: Sequence[str], label: str) -> list[tuple]:
    """(before, after) output names paired by position; raises when the counts differ or
    there is nothing to compare."""
    if len(before) != len(after):
        raise ComparisonError(
            f"{label}: {len(after)} output(s) {list(after)} where {len(before)} were expected "
            f"{list(before)}: an output was added or removed"
        )
    if not before:
        raise ComparisonError(f"{label}: the model has no outputs, nothing was compared")
    return list(zip(before, after, strict=True))
