"""Calibration methods on distributions whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.quant.calibration import RangeCollector, calibrate


@pytest.fixture
def gaussian():
    return np.random.default_rng(0).normal(0.0, 1.0, 200_000)


def test_minmax_and_percentile_on_uniform():
    x = np.random.default_rng(1).uniform(0, 1, 100_000)
    assert calibrate(x, "minmax", 3, signed=False).high == pytest.approx(x.max())
    result = calibrate(x, "percentile", 3, signed=False, percentile=99.0)
    assert result.high == pytest.approx(0.99, abs=0.005)
    assert result.clipped_fraction == pytest.approx(0.01, abs=0.002)
    assert result.low == 0.0


def test_percentile_clips_rare_outliers(gaussian):
    x = np.concatenate([np.abs(gaussian), [1000.0]])
    assert calibrate(x, "minmax", 8, signed=False).high == 1000.0
    assert calibrate(x, "percentile", 8, signed=False).high < 6.0


def test_mse_matches_the_known_optimal_clip_for_a_gaussian(gaussian):
    # a 3-bit signed uniform quantizer (7 levels) on N(0,1) is best clipped near 2 sigma
    result = calibrate(gaussian, "mse", 3, signed=True)
    assert 1.6 < result.high < 2.6
    assert result.low == -result.high


def test_entropy_clips_a_gaussian_below_max_and_wider_with_more_bits(gaussian):
    entropy8 = calibrate(gaussian, "entropy", 8, signed=True).high
    entropy3 = calibrate(gaussian, "entropy", 3, signed=True).high
    assert 2.5 < entropy3 < entropy8 < float(np.abs(gaussian).max())


def test_signedness_and_all_zero():
    assert calibrate(np.array([-5.0, 1.0]), "minmax", 3, signed=False).high == 1.0
    assert calibrate(np.array([-5.0, 1.0]), "minmax", 3, signed=True).high == 5.0
    zero = calibrate(np.zeros(10), "entropy", 3, signed=False)
    assert zero.high > 0 and zero.clipped_fraction == 0.0


def test_deterministic_and_errors():
    x = np.random.default_rng(2).exponential(1.0, 50_000)
    for method in ("minmax", "percentile", "entropy", "mse"):
        assert calibrate(x, method, 3, False) == calibrate(x.copy(), method, 3, False)
    with pytest.raises(QnnflowError, match="unknown calibration method 'kl'"):
        calibrate(x, "kl", 3, False)
    with pytest.raises(QnnflowError, match="no calibration samples"):
        calibrate(np.array([]), "minmax", 3, False)


def test_collector_subsamples_deterministically():
    collector = RangeCollector(budget=1000)
    for i in range(10):
        collector.update(np.full(500, float(i)))
    assert collector.min == 0.0 and collector.max == 9.0
    assert collector.samples().size <= 2000
    with pytest.raises(QnnflowError, match="no calibration data"):
        RangeCollector().samples()


@pytest.mark.parametrize("shift", [0.0, 0.5, 1.5])
@pytest.mark.parametrize("bits", [2, 3, 8])
def test_entropy_clips_little_of_a_relu_output(bits, shift):
    # a ReLU output is mostly exact zeros; they must not drag the clip down (the old bug clipped
    # 30% of values at 3 bits once more than half of them were zero)
    x = np.maximum(np.random.default_rng(3).normal(0.0, 1.0, 200_000) - shift, 0.0)
    result = calibrate(x, "entropy", bits, signed=False)
    assert result.clipped_fraction < 0.01
    assert result.high > 0.5 * x.max()
