"""Shared checks of the RTL tests: stream comparison that names the first mismatch."""

from __future__ import annotations

import numpy as np


def assert_stream_equal(name: str, got: np.ndarray, want: np.ndarray) -> None:
    """Equal element for element, else the frame, element index and both values."""
    got, want = np.asarray(got), np.asarray(want).reshape(np.asarray(got).shape)
    if got.shape != want.shape:
        raise AssertionError(f"{name}: shape {got.shape}, expected {want.shape}")
    bad = np.argwhere(got != want)
    if bad.size:
        frame, index = (int(v) for v in bad[0][:2]) if got.ndim > 1 else (0, int(bad[0][0]))
        raise AssertionError(
            f"{name}: {len(bad)} of {got.size} elements differ; first at frame {frame} "
            f"element {index}: got {got[tuple(bad[0])]}, expected {want[tuple(bad[0])]}"
        )


def cycles_close(measured: int, estimate: int, tolerance: float = 0.05) -> bool:
    """Within `tolerance` of the estimate (the issue's 5%)."""
    return abs(measured - estimate) <= tolerance * estimate
