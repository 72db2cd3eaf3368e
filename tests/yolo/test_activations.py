"""Darknet [region] and [yolo] activations on tiny hand-built heads."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.yolo import darknet_softmax, logistic, region_forward, yolo_forward

F = np.float32


def sigmoid(v: float) -> np.float32:
    return F(1.0 / (1.0 + math.exp(-v)))


def region_head() -> np.ndarray:
    """num=2, coords=4, classes=3 over a 1x2 grid: channels [x, y, w, h, obj, c0, c1, c2] x 2."""
    x = np.zeros((1, 16, 1, 2), dtype=F)
    x[0, 0:5, 0, 0] = [0.0, 1.0, 0.7, -0.3, 2.0]
    x[0, 5:8, 0, 0] = [0.0, math.log(2.0), math.log(3.0)]
    x[0, 8:13, 0, 1] = [-1.0, 0.5, 1.5, -2.5, -4.0]
    x[0, 13:16, 0, 1] = [5.0, 5.0, 5.0]
    return x


def test_region_forward_hand_values() -> None:
    x = region_head()
    before = x.copy()
    out = region_forward(x, num=2, classes=3)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_array_equal(x, before)  # input untouched
    cell = out[0, :, 0, 0]
    assert cell[0] == F(0.5) and cell[1] == sigmoid(1.0) and cell[4] == sigmoid(2.0)
    assert cell[2] == F(0.7) and cell[3] == F(-0.3)  # w, h raw
    np.testing.assert_allclose(cell[5:8], [1 / 6, 1 / 3, 1 / 2], rtol=1e-6)
    other = out[0, 8:16, 0, 1]
    assert other[0] == sigmoid(-1.0) and other[4] == sigmoid(-4.0)
    assert other[2] == F(1.5) and other[3] == F(-2.5)
    np.testing.assert_allclose(other[5:8], [1 / 3] * 3, rtol=1e-6)


def test_region_forward_without_softmax_uses_logistic() -> None:
    out = region_forward(region_head(), num=2, classes=3, softmax=False)
    assert out[0, 6, 0, 0] == sigmoid(float(F(math.log(2.0))))
    assert out[0, 13, 0, 1] == sigmoid(5.0)


def test_region_forward_accepts_chw() -> None:
    x = region_head()
    np.testing.assert_array_equal(region_forward(x[0], 2, 3), region_forward(x, 2, 3)[0])


def test_region_forward_coords_offset() -> None:
    # coords=5: objectness sits at entry 5 and classes start at entry 6
    x = np.zeros((1, 8, 1, 1), dtype=F)
    x[0, 4, 0, 0] = 3.0
    x[0, 5, 0, 0] = 1.0
    out = region_forward(x, num=1, classes=2, coords=5)
    assert out[0, 4, 0, 0] == F(3.0) and out[0, 5, 0, 0] == sigmoid(1.0)
    np.testing.assert_allclose(out[0, 6:, 0, 0], [0.5, 0.5])


def test_yolo_forward_hand_values() -> None:
    x = np.arange(-7, 7, dtype=F).reshape(1, 14, 1, 1) / F(2)  # num=2, classes=2
    out = yolo_forward(x, num=2, classes=2)
    flat, raw = out.reshape(-1), x.reshape(-1)
    for anchor in range(2):
        base = anchor * 7
        for entry in range(7):
            expected = raw[base + entry] if entry in (2, 3) else sigmoid(float(raw[base + entry]))
            assert flat[base + entry] == expected


def test_darknet_softmax_sums_class_by_class() -> None:
    values = np.random.default_rng(0).normal(0, 4, size=(20, 7)).astype(F)
    out = darknet_softmax(values, axis=0)
    for col in range(values.shape[1]):
        column = values[:, col]
        largest = max(column.max(), F(-np.finfo(F).max))
        exps = [F(math.exp(float(v - largest))) for v in column]
        total = F(0)
        for e in exps:
            total = total + e
        np.testing.assert_array_equal(out[:, col], np.array(exps, dtype=F) / total)


def test_extreme_logits_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = logistic(np.array([-1000.0, 1000.0], dtype=F))
    np.testing.assert_array_equal(out, [0.0, 1.0])


def test_wrong_channel_count_names_expected_and_actual() -> None:
    with pytest.raises(QnnflowError, match=r"15 channels, expected .*2\*\(4\+1\+3\) = 16"):
        region_forward(np.zeros((1, 15, 2, 2), dtype=F), num=2, classes=3)
    with pytest.raises(QnnflowError, match=r"\[yolo\] input has 125 channels, .* = 75"):
        yolo_forward(np.zeros((1, 125, 13, 13), dtype=F), num=3, classes=20)


def test_bad_rank_and_parameters() -> None:
    with pytest.raises(QnnflowError, match="NCHW"):
        region_forward(np.zeros((16, 2), dtype=F), num=2, classes=3)
    with pytest.raises(QnnflowError, match="num >= 1"):
        region_forward(np.zeros((1, 16, 1, 1), dtype=F), num=0, classes=3)
