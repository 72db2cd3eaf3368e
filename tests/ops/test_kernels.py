"""The vectorized kernels (qnnflow.ops.kernels, the window view) equal the straightforward
float64 oracle (tests/ops/oracle.py) bit for bit on random and edge inputs: odd sizes, zeros,
worst-case sums at the float32 limit, values on thresholds, signed/unsigned/bipolar
operands, shared threshold rows, unsorted and infinite thresholds, pads that never win."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.ops.kernels import (
    COMPARE_LOOP_MAX,
    FLOAT32_EXACT,
    FLOAT64_EXACT,
    INT64_EXACT,
    exact_dtype,
    matrix_vector,
    maxpool_nhwc,
    multithreshold_last_axis,
)
from qnnflow.ops.sliding_window import sliding_windows
from tests.ops import oracle

RNG = np.random.default_rng(0)


def _ints(low: int, high: int, shape, dtype=np.float32) -> np.ndarray:
    return RNG.integers(low, high + 1, size=shape).astype(dtype)


def _same(fast: np.ndarray, slow: np.ndarray) -> None:
    assert fast.shape == slow.shape
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize(
    "x_range,w_range,lead,mw,mh",
    [
        ((0, 7), (-1, 1), (1, 5, 7), 27, 13),  # UINT3 x ternary-ish weights, odd sizes
        ((-8, 7), (-2, 1), (1, 3, 3), 64, 5),  # INT4 x INT2
        ((-1, 1), (-1, 1), (2, 4), 33, 7),  # bipolar-like operands, a batch
        ((0, 255), (-128, 127), (1, 2, 3), 1001, 3),  # sums past 2**24: float64
        ((0, 0), (-1, 1), (1, 4), 9, 4),  # zeros
        ((0, 7), (0, 0), (1, 4), 9, 4),  # zero weights
        ((5, 5), (1, 1), (1,), 1, 1),  # 1x1
    ],
)
def test_matrix_vector_equals_float64(x_range, w_range, lead, mw, mh):
    x = _ints(*x_range, (*lead, mw))
    w = _ints(*w_range, (mw, mh))
    _same(matrix_vector(x, w), oracle.matrix_vector(x, w))
    _same(matrix_vector(x.astype(np.int64), w), oracle.matrix_vector(x, w))


def test_binary_weights_worst_case_sum_at_the_float32_limit():
    """255 inputs of 65793 times +1 weights sum to 2**24 - 1: still float32, still exact."""
    x = np.full((1, 255), 65793, np.float32)
    w = np.ones((255, 2), np.float32)
    w[:, 1] = -1
    out = matrix_vector(x, w)
    assert out.dtype == np.float32 and out.tolist() == [[FLOAT32_EXACT - 1, 1 - FLOAT32_EXACT]]


def test_sums_past_float32_use_float64():
    """2**23 + 2**23 + 1 is not a float32: the bound moves the product to float64."""
    x = np.array([[2**23, 2**23, 1]], np.float32)
    out = matrix_vector(x, np.ones((3, 1), np.float32))
    assert out.dtype == np.float64 and int(out[0, 0]) == 2**24 + 1


def test_sums_past_float64_use_int64_exactly():
    x = np.array([[2**30, 2**30, 1]], np.int64)
    w = np.array([[2**30], [2**30], [1]], np.int64)
    out = matrix_vector(x, w)
    assert out.dtype == np.int64 and int(out[0, 0]) == 2**61 + 1  # float64 would drop the 1
    with pytest.raises(QnnflowError, match="exceeds 64-bit integers"):
        matrix_vector(np.array([[2**40]], np.int64), np.array([[2**30]], np.int64))


def test_exact_dtype_limits():
    assert exact_dtype(FLOAT32_EXACT - 1) is np.float32
    assert exact_dtype(FLOAT32_EXACT) is np.float64
    assert exact_dtype(FLOAT64_EXACT) is np.int64
    with pytest.raises(QnnflowError, match="exceeds 64-bit integers"):
        exact_dtype(INT64_EXACT)  # 2**63 itself is one past int64


def test_column_sums_past_int64_raise_instead_of_wrapping():
    """Two int64 weights of 2**62 sum to 2**63: an int64 bound would wrap to -2**63 and pick
    int64, whose product wraps too."""
    w = np.array([[2**62], [2**62]], np.int64)
    with pytest.raises(QnnflowError, match="exceeds 64-bit integers"):
        matrix_vector(np.ones((1, 2), np.int64), w)


def test_operands_past_int64_raise_even_against_zeros():
    """A huge operand times a zero is no exact zero once cast: float32 makes it inf, inf * 0
    = NaN. The bound covers each operand itself, not only the products."""
    with pytest.raises(QnnflowError, match="exceeds 64-bit integers"):
        matrix_vector(np.array([[1e39, 0.0]]), np.zeros((2, 3)))
    with pytest.raises(QnnflowError, match="exceeds 64-bit integers"):
        matrix_vector(np.zeros((1, 2)), np.full((2, 3), 1e39))


@pytest.mark.parametrize("lead,mw,mh", [((0,), 5, 3), ((2, 0), 4, 2), ((1, 2), 5, 0)])
def test_empty_batches_and_columns_give_empty_products(lead, mw, mh):
    x = _ints(-3, 3, (*lead, mw))
    _same(matrix_vector(x, _ints(-1, 1, (mw, mh))), np.zeros((*lead, mh)))


@pytest.mark.parametrize("t", [0, 1, 3, 7, COMPARE_LOOP_MAX, COMPARE_LOOP_MAX + 1, 64, 255])
@pytest.mark.parametrize("shared", [False, True])
def test_threshold_counts_equal_comparison_sum(t, shared):
    channels = 5
    rows = 1 if shared else channels
    thresholds = np.sort(_ints(-300, 300, (rows, t)), axis=-1)
    # values on every threshold, one off either side, and beyond both ends
    on = thresholds.reshape(-1) if t else np.zeros(1, np.float32)
    values = np.concatenate([on, on - 1, on + 1, [-1000, 1000]]).astype(np.float32)
    acc = RNG.choice(values, size=(1, 3, 7, channels))
    _same(
        multithreshold_last_axis(acc, thresholds), oracle.multithreshold_last_axis(acc, thresholds)
    )


@pytest.mark.parametrize("t", [5, 40])
@pytest.mark.parametrize(
    "acc_shape,table_shape",
    [
        ((2, 3, 4), (None,)),  # one 1-D row for every channel
        ((2, 3, 4), (1, 4, None)),  # a leading axis on the table
        ((2, 3, 1), (4, None)),  # one value per pixel against 4 channels' rows
    ],
)
def test_threshold_tables_of_other_ranks_broadcast_like_the_oracle(t, acc_shape, table_shape):
    thresholds = _ints(-10, 10, tuple(t if d is None else d for d in table_shape))
    acc = _ints(-12, 12, acc_shape)
    counts = multithreshold_last_axis(acc, thresholds)
    _same(counts, oracle.multithreshold_last_axis(acc, thresholds))


@pytest.mark.parametrize("t", [4, 40])
def test_threshold_counts_unsorted_duplicate_infinite_fractional(t):
    thresholds = _ints(-20, 20, (3, t)).astype(np.float64)
    thresholds[0, :2] = [np.inf, -np.inf]
    thresholds[1, :3] = [2.5, 2.5, -0.5]  # duplicates, between integers
    acc = _ints(-25, 25, (2, 9, 3))
    counts = multithreshold_last_axis(acc, thresholds)
    _same(counts, oracle.multithreshold_last_axis(acc, thresholds))
    _same(multithreshold_last_axis(acc.astype(np.int64), thresholds), counts)


@pytest.mark.parametrize(
    "h,w,k,s,pads",
    [
        (13, 13, 2, 1, [0, 0, 1, 1]),  # Darknet 2x2 stride 1
        (7, 5, 2, 2, [0, 0, 1, 1]),  # odd sizes
        (8, 6, 2, 2, [0, 0, 0, 0]),  # tiles: one reshape
        (9, 9, 3, 3, [0, 0, 0, 0]),
        (7, 7, 2, 2, [0, 0, 0, 0]),  # a row and a column left over
        (6, 7, 3, 1, [1, 1, 1, 1]),
        (5, 4, 3, 2, [2, 0, 1, 2]),
        (1, 1, 2, 1, [0, 0, 1, 1]),
        (8, 6, 2, 2, [1, 1, 0, 0]),  # sizes divide, but leading pads shift every window
        (6, 6, 3, 2, [0, 0, 0, 0]),  # 2 overlapping windows of 3 span 6 rows: no tiles
    ],
)
@pytest.mark.parametrize("low,high", [(0, 7), (-8, -1), (-4, 3)])
def test_maxpool_equals_float64(h, w, k, s, pads, low, high):
    x = _ints(low, high, (2, h, w, 3))  # all-negative maps: a pad must still never win
    _same(maxpool_nhwc(x, k, s, pads), oracle.maxpool_nhwc(x, k, s, pads))
    _same(maxpool_nhwc(x.astype(np.int64), k, s, pads), oracle.maxpool_nhwc(x, k, s, pads))


@pytest.mark.parametrize(
    "h,w,c,kernel,stride",
    [
        (7, 5, 3, [3, 3], [1, 1]),
        (8, 8, 4, [3, 3], [2, 2]),
        (9, 7, 2, [2, 3], [3, 2]),  # non-square, stride past the kernel
        (4, 4, 5, [1, 1], [1, 1]),
        (3, 3, 1, [3, 3], [1, 1]),  # one window
    ],
)
def test_windows_equal_one_copy_per_tap(h, w, c, kernel, stride):
    x = _ints(-3, 3, (2, h, w, c))
    _same(sliding_windows(x, kernel, stride), oracle.sliding_windows(x, kernel, stride))


def test_negative_inputs_set_the_bound_too():
    """|x| comes from the most negative input as well: -2**23 - 2**23 - 1 is no float32."""
    x = np.array([[-(2**23), -(2**23), -1]], np.float32)
    out = matrix_vector(x, np.ones((3, 1), np.float32))
    assert out.dtype == np.float64 and int(out[0, 0]) == -(2**24) - 1
    x = np.array([[-(2**30), -(2**30), -1]], np.int64)
    w = np.array([[2**30], [2**30], [1]], np.int64)
    assert int(matrix_vector(x, w)[0, 0]) == -(2**61) - 1


@pytest.mark.parametrize("h,w", [(8, 7), (7, 8), (8, 9), (9, 8)])
def test_maxpool_tiles_only_when_both_sides_divide(h, w):
    """kernel == stride without pads takes the one-reshape path only when H and W both
    divide by the kernel; a single dividing side must use the window loop."""
    x = _ints(-4, 3, (2, h, w, 3))
    _same(maxpool_nhwc(x, 2, 2, [0, 0, 0, 0]), oracle.maxpool_nhwc(x, 2, 2, [0, 0, 0, 0]))


def test_kernels_keep_the_graphs_float32():
    """The graph's tensors are float32: counts (both paths) and pools of float32 maps stay
    float32 (half the memory of float64 on a 416x416 map); integer maps pool in float64,
    which holds the -inf pad."""
    acc = _ints(-9, 9, (1, 4, 3))
    for t in (3, COMPARE_LOOP_MAX + 1):
        assert multithreshold_last_axis(acc, _ints(-9, 9, (3, t))).dtype == np.float32
    x = _ints(-4, 3, (1, 5, 5, 2))
    for pads in ([0, 0, 0, 0], [0, 0, 1, 1]):
        assert maxpool_nhwc(x, 2, 1, pads).dtype == np.float32
        assert maxpool_nhwc(x.astype(np.int64), 2, 1, pads).dtype == np.float64
