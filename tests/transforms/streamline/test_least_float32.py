"""The float32 bisection behind exact thresholds: ordered keys, the least accepted value, and
the least input after a Mul or an Add, checked against the one-ulp-below definition."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from qnnflow.transforms.streamline.least_float32 import (
    HIGHEST,
    LOWEST,
    _key,
    _value,
    least_accepted,
    least_input_after_add,
    least_input_after_mul,
)

TINY = np.float32(np.finfo(np.float32).smallest_subnormal)
EDGES = np.array(
    [LOWEST, -1e30, -1.5, -1.0, -TINY, 0.0, TINY, 1e-30, 1.0, 1.5, 83.5, 1e30, HIGHEST],
    dtype=np.float32,
)


def _below(x: np.ndarray) -> np.ndarray:
    return np.nextafter(np.float32(x), np.float32(-np.inf)).astype(np.float32)


def test_keys_follow_the_float32_order_and_invert():
    keys = _key(EDGES)
    assert keys.dtype == np.int64
    assert np.all(np.diff(keys) > 0)
    assert np.array_equal(_value(keys), EDGES)
    assert _value(keys).dtype == np.float32
    # neighbours are one key apart, across zero too; -0 and +0 share key 0
    assert _key(np.float32(-0.0)) == 0 == _key(np.float32(0.0))
    assert _key(TINY) == 1 and _key(-TINY) == -1
    assert _key(np.nextafter(np.float32(1), np.float32(2))) == _key(np.float32(1)) + 1
    assert _key(HIGHEST) == 0x7F7FFFFF and _key(LOWEST) == -0x7F7FFFFF


@pytest.mark.parametrize("strict", [False, True])
def test_least_accepted_is_the_threshold_or_the_next_float(strict):
    rng = np.random.default_rng(0)
    t = np.concatenate([EDGES[1:-1], rng.normal(0, 100, 20).astype(np.float32)])
    least = least_accepted((lambda x: x > t) if strict else (lambda x: x >= t), t.shape)
    expected = np.nextafter(t, np.float32(np.inf)) if strict else t
    assert least.dtype == np.float32 and least.shape == t.shape
    assert np.array_equal(least, expected)


def test_every_value_or_none_accepted():
    least = least_accepted(lambda x: np.array([True, False, True]) | (x > 5), (3,))
    assert np.array_equal(least, np.array([LOWEST, np.nextafter(np.float32(5), 6), LOWEST]))
    none = least_accepted(lambda x: np.zeros(x.shape, bool), (2, 2))
    assert none.dtype == np.float32 and np.all(np.isposinf(none))
    every = least_accepted(lambda x: np.ones(x.shape, bool), (2,))
    assert np.array_equal(every, [LOWEST, LOWEST])
    # the highest float32 alone passes
    assert least_accepted(lambda x: x >= HIGHEST, (1,))[0] == HIGHEST


def _check_least(x: np.ndarray, passes) -> None:
    """x passes, the float32 just below it does not (or x is the lowest float32)."""
    assert np.all(passes(x))
    below = _below(x)
    assert not np.any(passes(below) & (x > LOWEST))


def test_least_input_after_mul_is_exact():
    rng = np.random.default_rng(1)
    t = np.concatenate([rng.normal(0, 50, 30), [0.0, -0.0, 83.5, -83.5, 1e-40]]).astype(np.float32)
    c = np.float32(1 / 3)
    x = least_input_after_mul(t, c)
    assert x.dtype == np.float32
    _check_least(x, lambda v: (v * c) >= t)
    # per-channel scales broadcast against the thresholds
    tt = rng.normal(0, 10, (3, 4)).astype(np.float32)
    cc = np.array([[0.25], [0.1], [7.0]], dtype=np.float32)
    xx = least_input_after_mul(tt, cc)
    assert xx.shape == (3, 4)
    _check_least(xx, lambda v: (v * cc) >= tt)


def test_zero_scale_accepts_everything_or_nothing():
    x = least_input_after_mul(np.array([-1, 0, 1], np.float32), np.float32(0))
    assert np.array_equal(x, np.array([LOWEST, LOWEST, np.inf], np.float32))


def test_huge_scale_overflows_quietly_and_stays_exact():
    t = np.array([1e38, -1e38, 3.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = least_input_after_mul(t, np.float32(1e30))
    _check_least(x, lambda v: (v * np.float32(1e30)) >= t)


def test_least_input_after_add_is_exact():
    rng = np.random.default_rng(2)
    t = np.concatenate([rng.normal(0, 50, 30), [0.0, 0.5, -0.5, 3e38]]).astype(np.float32)
    b = np.float32(0.1)
    x = least_input_after_add(t, b)
    assert x.dtype == np.float32 and x.shape == t.shape
    _check_least(x, lambda v: (v + b) >= t)
    bb = np.array([[1.5], [-2.25]], np.float32)
    xx = least_input_after_add(t[:3], bb)
    assert xx.shape == (2, 3)
    _check_least(xx, lambda v: (v + bb) >= t[:3])


def test_float64_arguments_are_taken_as_float32():
    """Keys and thresholds are float32 ones whatever the caller passes; key 0 is +0."""
    values = np.array([1.0, -2.5, 1 / 3], np.float64)
    assert np.array_equal(_key(values), _key(values.astype(np.float32)))
    zero = _value(np.array([0], np.int64))
    assert zero == 0 and not np.signbit(zero).any()
    t64 = np.array([0.1, -7.3, 1 / 3, 2.0], np.float64)
    for c in (1 / 3, 0.1):
        expected = least_input_after_mul(t64.astype(np.float32), np.float32(c))
        assert np.array_equal(least_input_after_mul(t64, np.float64(c)), expected)
        expected = least_input_after_add(t64.astype(np.float32), np.float32(c))
        assert np.array_equal(least_input_after_add(t64, np.float64(c)), expected)
