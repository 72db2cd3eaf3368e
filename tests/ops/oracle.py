"""The straightforward numpy kernels the ops used before qnnflow.ops.kernels vectorized them:
float64 everywhere, a [..., C, T] comparison for thresholds, a -inf float64 frame for pools,
one copy per kernel tap for windows.
Kept as the oracle the fast kernels must equal bit for bit."""

from __future__ import annotations

import numpy as np


def matrix_vector(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """x[..., MW] @ W[MW, MH] in float64."""
    lead = x.shape[:-1]
    acc = x.reshape(-1, x.shape[-1]).astype(np.float64) @ weights.astype(np.float64)
    return acc.reshape(*lead, weights.shape[1])


def multithreshold_last_axis(acc: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """out[..., c] = number of t in thresholds[c] with acc[..., c] >= t."""
    return np.sum(acc[..., None] >= thresholds, axis=-1)


def maxpool_nhwc(x: np.ndarray, kernel: int, stride: int, pads: list[int]) -> np.ndarray:
    """[N, H, W, C] max-pool; pads (top, left, bottom, right) never win the max."""
    top, left, bottom, right = pads
    padded = np.pad(
        x.astype(np.float64),
        ((0, 0), (top, bottom), (left, right), (0, 0)),
        constant_values=-np.inf,
    )
    n, h, w, c = padded.shape
    oh, ow = (h - kernel) // stride + 1, (w - kernel) // stride + 1
    out = np.full((n, oh, ow, c), -np.inf)
    for ky in range(kernel):
        for kx in range(kernel):
            window = padded[
                :,
                ky : ky + stride * (oh - 1) + 1 : stride,
                kx : kx + stride * (ow - 1) + 1 : stride,
                :,
            ]
            np.maximum(out, window, out=out)
    return out


def sliding_windows(x: np.ndarray, kernel: list[int], stride: list[int]) -> np.ndarray:
    """[N, H, W, C] -> [N, OH, OW, KH*KW*C] with windows ordered (ky, kx, c)."""
    n, h, w, c = x.shape
    kh, kw = kernel
    sh, sw = stride
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            out[:, :, :, ky, kx, :] = x[
                :, ky : ky + sh * (oh - 1) + 1 : sh, kx : kx + sw * (ow - 1) + 1 : sw, :
            ]
    return out.reshape(n, oh, ow, kh * kw * c)
