"""Vectorized numpy kernels of the hardware ops' references: exact integer matrix products in
the cheapest exact dtype, threshold counts without a [..., C, T] temporary, and max-pooling
on strided views in the input's dtype. The straightforward float64 versions they replace are
the oracle of tests/ops/test_kernels.py; every kernel here equals them bit for bit on
integer-valued inputs (the hardware ops' only inputs: the graph executor rounds the rest)."""

from __future__ import annotations

import numpy as np

from qnnflow.errors import QnnflowError

FLOAT32_EXACT = 2**24  # every integer of magnitude up to this is a float32
FLOAT64_EXACT = 2**53
INT64_EXACT = 2**63
COMPARE_LOOP_MAX = 16  # up to this many thresholds: one comparison pass each, else bisect


def _max_abs(a: np.ndarray) -> float:
    """max |a| in two reductions, without an |a| temporary."""
    if a.size == 0:
        return 0.0
    return max(float(a.max()), -float(a.min()))


def exact_dtype(bound: float) -> type:
    """The cheapest dtype whose matrix product is exact when every partial sum of integers
    stays within `bound` in magnitude (any summation order, with or without FMA)."""
    if bound < FLOAT32_EXACT:
        # BLAS sgemm: 1.4x dgemm and 16x numpy's int16 matmul, which has no BLAS (the
        # Tinier-YOLO's conv1, 43264 x 144 x 64, one thread: 0.046 / 0.063 / 0.74 s)
        return np.float32
    if bound < FLOAT64_EXACT:
        return np.float64
    if bound < INT64_EXACT:
        return np.int64  # numpy's own loop: slow, but exact where float64 is not
    raise QnnflowError(f"matrix product of magnitude up to {bound:.3g} exceeds 64-bit integers")


def matrix_vector(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Exact integer x[..., MW] @ W[MW, MH] in float32 (BLAS) when every partial sum stays
    below 2**24, else float64 (below 2**53), else int64. A partial sum is bounded by
    max|x| * max over output columns of sum|W|."""
    x, weights = np.asarray(x), np.asarray(weights)
    lead, mw = x.shape[:-1], x.shape[-1]
    columns = np.abs(weights).sum(axis=0, dtype=np.float64)
    x_max, w_max = _max_abs(x), _max_abs(weights)
    bound = max(x_max * float(columns.max(initial=0)), x_max, w_max)
    dtype = exact_dtype(bound)
    flat = x.reshape(-1, mw).astype(dtype, copy=False)
    acc = flat @ weights.astype(dtype, copy=False)
    return acc.reshape(*lead, weights.shape[1])


def multithreshold_last_axis(acc: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """out[..., c] = number of t in thresholds[c] (or in the one row of a [1, T] table) with
    acc[..., c] >= t. Up to COMPARE_LOOP_MAX thresholds: one comparison pass per threshold;
    more: a bisection over each channel's sorted thresholds (log2 T gather passes)."""
    thresholds = np.asarray(thresholds)
    t = thresholds.shape[-1]
    shape = np.broadcast_shapes(acc.shape, thresholds.shape[:-1])
    if t <= COMPARE_LOOP_MAX or thresholds.ndim != 2:
        counts = np.zeros(shape, dtype=np.float32)
        for k in range(t):
            counts += acc >= thresholds[..., k]
        return counts
    return _bisect_counts(np.broadcast_to(acc, shape), np.sort(thresholds))


def _bisect_counts(acc: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """Per element, the number of its channel's ascending thresholds at or below it: the
    largest k with ordered[c, k - 1] <= acc, found bit by bit from the top."""
    rows, t = ordered.shape
    flat = ordered.ravel()
    # row offset of each element's channel in the flattened table (row 0 when shared)
    base = (np.arange(acc.shape[-1]) % rows) * t
    count = np.zeros(acc.shape, dtype=np.intp)
    step = 1 << (t.bit_length() - 1)
    while step:
        candidate = count + step
        fits = candidate <= t
        index = base + np.minimum(candidate, t) - 1
        count = np.where(fits & (acc >= flat[index]), candidate, count)
        step >>= 1
    return count.astype(np.float32)


def maxpool_nhwc(x: np.ndarray, kernel: int, stride: int, pads: list[int]) -> np.ndarray:
    """[N, H, W, C] max-pool; pads (top, left, bottom, right) never win the max. Computed in
    the input's float dtype (a max picks an element: exact in any dtype that holds it)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    top, left, bottom, right = pads
    n, h, w, c = x.shape
    oh, ow = (h + top + bottom - kernel) // stride + 1, (w + left + right - kernel) // stride + 1
    if not any(pads) and kernel == stride and h == oh * kernel and w == ow * kernel:
        return x.reshape(n, oh, kernel, ow, kernel, c).max(axis=(2, 4))  # tiles: one pass
    padded = x
    if any(pads):
        padded = np.full((n, h + top + bottom, w + left + right, c), -np.inf, dtype=x.dtype)
        padded[:, top : top + h, left : left + w] = x
    out = None
    rows, cols = stride * (oh - 1) + 1, stride * (ow - 1) + 1
    for ky in range(kernel):
        for kx in range(kernel):
            view = padded[:, ky : ky + rows : stride, kx : kx + cols : stride]
            out = view.copy() if out is None else np.maximum(out, view, out=out)
    return out
