"""The fused letterbox + input quantizer in C++ (letterbox_shim.cpp): one pass from a uint8
HWC frame to the uint8 NHWC threshold counts the accelerator's input stream takes, bit for
bit the numpy path's (resize.py's float32 arithmetic, then the threshold counts).

Compiled with g++ at first use (shim_build: the build's cache on the host, beside the
runtime copy on the board) with -ffp-contract=off and no -ffast-math, so its float32 results
are IEEE-identical to numpy's. `letterbox_library()` is None when it cannot be built (no g++,
...): callers keep the numpy path. Standard library + numpy only: this runs on the board.
"""

from __future__ import annotations

import ctypes
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.yolo.letterbox import letterbox_placement
from qnnflow.yolo.resize import resize_plan
from qnnflow.yolo.shim_build import ShimUnavailable, compile_shim, load_library

log = logging.getLogger(__name__)

SHIM_SOURCE = Path(__file__).with_name("letterbox_shim.cpp")
# -O3: g++ runs the elementwise loops on vector lanes where it keeps IEEE float32 (SSE on
# x86; armhf g++ keeps float loops scalar on the board, NEON not being IEEE); no fused
# multiply-adds, no -ffast-math: float32 as numpy rounds it.
FLAGS = ("-O3", "-ffp-contract=off")
LINEAR, SORTED, UNIFORM = 0, 1, 2  # the shim's ways of counting thresholds
MAX_LEVELS = 255  # counts fit uint8

_F32, _I64 = np.float32, np.int64
_INT, _FLOAT = ctypes.c_int, ctypes.c_float
_PTR = ctypes.c_void_p


@lru_cache(maxsize=1)
def letterbox_library() -> ctypes.CDLL | None:
    """The compiled shim's entry point (once per process), or None (logged) when it cannot
    be built here."""
    try:
        lib = load_library(compile_shim(SHIM_SOURCE, flags=FLAGS))
        fn = lib.qnnflow_letterbox_codes
    except (ShimUnavailable, OSError, AttributeError) as exc:
        log.info("C++ letterbox unavailable, numpy input path: %s", exc)
        return None
    fn.argtypes = [_PTR, _INT, _INT, _INT, _PTR, *[_INT] * 6, *[_PTR] * 8, _INT]
    fn.argtypes += [_PTR, _INT, _INT, _INT, _FLOAT, _FLOAT]
    fn.restype = _INT
    return lib


def counting_mode(table: np.ndarray, uniform: bool) -> tuple[int, float, float]:
    """(mode, inv, offset) for a [rows, T] threshold table: the uniform guess of
    host_ops.uniform_counts (corrected against the thresholds), a binary search for sorted
    rows, else T compares."""
    if uniform:
        t = table[0]
        step = float(t[-1] - t[0]) / (t.size - 1) if t.size > 1 else 1.0
        inv = 1.0 / step if step > 0 else 1.0
        return UNIFORM, inv, 1.0 - float(t[0]) * inv
    if (np.diff(table, axis=1) >= 0).all():
        return SORTED, 0.0, 0.0
    return LINEAR, 0.0, 0.0


def _ptr(array: np.ndarray) -> int:
    return array.ctypes.data


def letterbox_codes(
    lib: ctypes.CDLL, image: np.ndarray, net_w: int, net_h: int, table: np.ndarray, uniform: bool
) -> np.ndarray:
    """uint8 HWC `image` -> [1, net_h, net_w, C] uint8 counts of `table` ([1 or C, T] float32
    thresholds, T <= 255) over the letterboxed image (grey 0.5 bands)."""
    frame = np.ascontiguousarray(image, dtype=np.uint8)
    if frame.ndim != 3 or min(frame.shape) < 1:
        raise QnnflowError(f"expected a non-empty HWC uint8 image, got shape {frame.shape}")
    im_h, im_w, channels = frame.shape
    table = np.ascontiguousarray(table, dtype=_F32)
    if table.ndim != 2 or table.shape[0] not in (1, channels) or table.shape[1] > MAX_LEVELS:
        raise QnnflowError(f"threshold table {table.shape} does not fit {channels} channels")
    top, left, new_h, new_w = letterbox_placement(im_w, im_h, net_w, net_h)
    plan = resize_plan(im_w, im_h, new_w, new_h, channels)
    ix, ix1 = plan.ix.astype(_I64, copy=False), plan.ix1.astype(_I64, copy=False)
    iy, iy1 = plan.iy.astype(_I64, copy=False), plan.iy1.astype(_I64, copy=False)
    mode, inv, offset = counting_mode(table, uniform)
    out = np.empty((1, int(net_h), int(net_w), channels), np.uint8)
    status = lib.qnnflow_letterbox_codes(
        _ptr(frame), im_h, im_w, channels, _ptr(out), int(net_h), int(net_w),
        top, left, new_h, new_w,
        _ptr(ix), _ptr(ix1), _ptr(plan.keep_x), _ptr(plan.dx),
        _ptr(iy), _ptr(plan.keep_y), _ptr(iy1), _ptr(plan.dy), iy1.size,
        _ptr(table), table.shape[0], table.shape[1], mode, inv, offset,
    )  # fmt: skip
    if status:
        raise QnnflowError(f"C++ letterbox rejected the resize plan for a {im_w}x{im_h} image")
    return out
