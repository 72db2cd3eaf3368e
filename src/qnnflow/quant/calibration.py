"""Activation range calibration: min-max, percentile, entropy (KL) and MSE.

Values are gathered per tensor over the calibration images by a `RangeCollector`, which
keeps a deterministic subsample (every k-th value once the budget is reached) so that 50
images of large feature maps stay cheap. `calibrate` turns the samples into a clipping
range for a `bits`-bit unsigned (or signed, symmetric) uniform quantizer:

- minmax: the observed extremes.
- percentile: the p-th percentile of |x| (default 99.99), so rare outliers are clipped.
- entropy: TensorRT's method: a 2048-bin histogram of the non-zero |x| (exact zeros, e.g. a
  ReLU's negative half, are exact at every clip; left in, their spike smeared over a level's
  bins made KL favour tiny clips: 30% of a ReLU output clipped at 3 bits); for every candidate
  clip bin i the clipped histogram P (outliers added to the last kept bin) is compared with Q,
  the kept bins without the outliers merged into 2**bits levels (2**(bits-1) when signed) and
  spread back over the non-empty bins; the clip with the smallest KL(P || Q) wins.
- mse: the clip (searched on a grid of 200 values up to max|x|) whose quantize-dequantize
  has the smallest mean squared error on the samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnnflow.errors import QnnflowError

METHODS = ("minmax", "percentile", "entropy", "mse")


@dataclass
class CalibrationResult:
    low: float
    high: float
    method: str
    clipped_fraction: float


class RangeCollector:
    """Accumulates a bounded, deterministic subsample of one tensor's values."""

    def __init__(self, budget: int = 2_000_000):
        self.budget = budget
        self.parts: list[np.ndarray] = []
        self.count = 0
        self.min = np.inf
        self.max = -np.inf

    def update(self, values: np.ndarray) -> None:
        flat = np.asarray(values, dtype=np.float32).ravel()
        if flat.size == 0:
            return
        self.min = min(self.min, float(flat.min()))
        self.max = max(self.max, float(flat.max()))
        self.parts.append(flat)
        self.count += flat.size
        if self.count > 2 * self.budget:
            merged = np.concatenate(self.parts)
            self.parts = [merged[:: int(np.ceil(merged.size / self.budget))]]
            self.count = self.parts[0].size

    def samples(self) -> np.ndarray:
        if not self.parts:
            raise QnnflowError("no calibration data was collected for this tensor")
        return np.concatenate(self.parts)


def _levels(bits: int, signed: bool) -> int:
    return 2 ** (bits - 1) - 1 if signed else 2**bits - 1


def _merged_levels(kept: np.ndarray, n_levels: int) -> np.ndarray:
    """Q: the kept bins merged into n_levels near-equal groups (np.array_split's sizes), each
    group's mass spread evenly over its non-empty bins."""
    size, extra = divmod(kept.size, n_levels)
    sizes = np.full(n_levels, size)
    sizes[:extra] += 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    nonzero = kept > 0
    sums = np.add.reduceat(kept, starts)
    counts = np.add.reduceat(nonzero.astype(np.float64), starts)
    per_bin = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return np.where(nonzero, np.repeat(per_bin, sizes), 0.0)


def _entropy_clip(magnitudes: np.ndarray, bits: int, signed: bool, bins: int = 2048) -> float:
    top = float(magnitudes.max())
    hist, edges = np.histogram(magnitudes, bins=bins, range=(0.0, top))
    hist = hist.astype(np.float64)
    tails = np.concatenate([np.cumsum(hist[::-1])[::-1], [0.0]])  # tails[i] = hist[i:].sum()
    n_levels = 2 ** (bits - 1) if signed else 2**bits
    best, best_kl = bins, np.inf
    for i in range(n_levels, bins + 1):
        kept = hist[:i]
        p = kept.copy()
        p[-1] += tails[i]  # P: clipped values pile up in the last bin
        q = _merged_levels(kept, n_levels)
        p_sum, q_sum = p.sum(), q.sum()
        if q_sum == 0:
            continue
        support = p > 0
        p_n, q_n = p[support] / p_sum, q[support] / q_sum
        if np.any(q_n == 0):  # P has mass where Q has none: infinite divergence
            continue
        kl = float(np.sum(p_n * np.log(p_n / q_n)))
        if kl < best_kl:
            best, best_kl = i, kl
    return float(edges[best])


def _mse_clip(values: np.ndarray, bits: int, signed: bool) -> float:
    top = float(np.abs(values).max())
    levels = _levels(bits, signed)
    low_level = -levels if signed else 0
    best, best_err = top, np.inf
    for clip in np.linspace(top / 200, top, 200):
        scale = clip / levels
        q = np.clip(np.round(values / scale), low_level, levels) * scale
        err = float(np.mean((q - values) ** 2))
        if err < best_err:
            best, best_err = float(clip), err
    return best


def calibrate(
    samples: np.ndarray, method: str, bits: int, signed: bool, percentile: float = 99.99
) -> CalibrationResult:
    """Clipping range [low, high] for the samples (low = -high when signed, else 0)."""
    if method not in METHODS:
        raise QnnflowError(f"unknown calibration method '{method}' (use {', '.join(METHODS)})")
    values = np.asarray(samples, dtype=np.float64).ravel()
    if values.size == 0:
        raise QnnflowError("no calibration samples")
    if not signed:
        values = np.maximum(values, 0.0)
    magnitudes = np.abs(values)
    if magnitudes.max() == 0:
        clip = 1.0  # an all-zero tensor: any scale represents it exactly
    elif method == "minmax":
        clip = float(magnitudes.max())
    elif method == "percentile":
        if not 0 < percentile <= 100:
            raise QnnflowError(f"percentile must be in (0, 100], got {percentile}")
        clip = float(np.percentile(magnitudes, percentile))
    elif method == "entropy":
        clip = _entropy_clip(magnitudes[magnitudes > 0], bits, signed)
    else:
        clip = _mse_clip(values, bits, signed)
    clip = max(clip, float(np.finfo(np.float32).tiny))
    clipped = float(np.mean(magnitudes > clip))
    return CalibrationResult(-clip if signed else 0.0, clip, method, clipped)
