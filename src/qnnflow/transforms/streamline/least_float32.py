"""The least float32 value a non-decreasing test accepts, found exactly by bisection.

A MultiThreshold counts x >= T. When the graph in front of it computes some non-decreasing
float32 function f (a quantizer's code, x * c with c >= 0, x + b) and asks f(x) >= t, the
exact threshold on x is the least float32 x with f(x) >= t. Computing it as f^-1(t) in real
arithmetic is off on two counts: on a tie the test may be strict (half to even rounds
83.5 down), and float32 rounding of f moves the boundary by up to an ulp. Bisection over
the float32 values in order (their bit patterns as ordered integers, 32 steps) evaluates f
itself, exactly as execution does, so it gets both right: a strict boundary h comes out as
the next float32 above h. Every f used here maps finite inputs monotonically and never
to NaN.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LOWEST = np.float32(np.finfo(np.float32).min)
HIGHEST = np.float32(np.finfo(np.float32).max)


def _key(values: np.ndarray) -> np.ndarray:
    """Order-preserving int64 key of float32 values (-0 and +0 share key 0)."""
    bits = np.asarray(values, dtype=np.float32).view(np.int32).astype(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)


def _value(keys: np.ndarray) -> np.ndarray:
    magnitude = np.abs(keys).astype(np.uint32)
    bits = np.where(keys < 0, magnitude | np.uint32(0x80000000), magnitude)
    return bits.astype(np.uint32).view(np.float32)


def least_accepted(accepts: Callable[[np.ndarray], np.ndarray], shape: tuple) -> np.ndarray:
    """Elementwise least finite float32 x with accepts(x) true (accepts maps a float32 array
    of `shape` to booleans and is non-decreasing in x); the lowest float32 where every
    finite x passes, +inf where none does."""
    with np.errstate(over="ignore"):  # x * c overflows to +-inf near the ends: still ordered
        return _bisect(accepts, shape)


def _bisect(accepts: Callable[[np.ndarray], np.ndarray], shape: tuple) -> np.ndarray:
    low = np.full(shape, _key(LOWEST), dtype=np.int64)
    high = np.full(shape, _key(HIGHEST), dtype=np.int64)
    all_pass = np.asarray(accepts(_value(low)), dtype=bool)
    some_pass = np.asarray(accepts(_value(high)), dtype=bool)
    # invariant where some_pass & ~all_pass: accepts(low) false, accepts(high) true
    while np.any(high - low > 1):
        middle = low + (high - low) // 2
        ok = np.asarray(accepts(_value(middle)), dtype=bool)
        high = np.where(ok, middle, high)
        low = np.where(ok, low, middle)
    least = _value(high)
    least = np.where(all_pass, LOWEST, least)
    return np.where(some_pass, least, np.float32(np.inf)).astype(np.float32)


def least_input_after_mul(thresholds: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Per element the least float32 x with float32(x * c) >= T (c >= 0, broadcastable)."""
    t = np.asarray(thresholds, dtype=np.float32)
    c32 = np.asarray(c, dtype=np.float32)
    shape = np.broadcast_shapes(t.shape, c32.shape)
    return least_accepted(lambda x: (x * c32) >= t, shape)


def least_input_after_add(thresholds: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per element the least float32 x with float32(x + b) >= T (b finite, broadcastable)."""
    t = np.asarray(thresholds, dtype=np.float32)
    b32 = np.asarray(b, dtype=np.float32)
    shape = np.broadcast_shapes(t.shape, b32.shape)
    return least_accepted(lambda x: (x + b32) >= t, shape)
