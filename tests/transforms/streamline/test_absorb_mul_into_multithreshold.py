"""AbsorbMulIntoMultiThreshold: Mul(c >= 0) -> MultiThreshold(T) -> MultiThreshold(T / c)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import AbsorbMulIntoMultiThreshold
from qnnflow.transforms.streamline.absorb_mul_into_multithreshold import BIG
from tests.transforms.streamline.graphs import Chain, check, floats, op_types, thresholds_of

SHAPE = [1, 3, 4, 4]
T = np.array([[-0.5, 0.5, 1.5]], np.float32)


def _model(scale):
    chain = Chain(SHAPE).op("Mul", np.asarray(scale, np.float32).reshape(1, 3, 1, 1))
    chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2")
    return chain.model(SHAPE)


def test_positive_and_zero_scales_fold_into_thresholds():
    after = check(_model([0.5, 2.0, 0.0]), AbsorbMulIntoMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["MultiThreshold"]
    t = thresholds_of(after)
    assert np.array_equal(t[0], T[0] / 0.5) and np.array_equal(t[1], T[0] / 2.0)
    assert np.array_equal(t[2], [-BIG, BIG, BIG])  # a zero scale: constant count(0 >= T)


def test_negative_scale_is_not_absorbed():
    after = check(_model([0.5, -2.0, 1.0]), AbsorbMulIntoMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["Mul", "MultiThreshold"]


def test_zero_scale_channel_counts_a_zero_threshold():
    """A zero-scale channel sees only 0, and 0 >= T holds for T == 0 exactly (t <= 0)."""
    at_zero = np.array([[-0.5, 0.0, 1.5]], np.float32)
    chain = Chain(SHAPE).op("Mul", np.asarray([0.0, 1.0, 0.0], np.float32).reshape(1, 3, 1, 1))
    model = chain.op("MultiThreshold", at_zero, qonnx=True, out_dtype="UINT2").model(SHAPE)
    after = check(model, AbsorbMulIntoMultiThreshold(), floats(SHAPE))
    t = thresholds_of(after)
    assert np.array_equal(t[0], [-BIG, -BIG, BIG]) and np.array_equal(t[2], t[0])
    assert np.array_equal(t[1], at_zero[0])


def test_equal_channels_compact_to_one_row():
    """Per-channel scales that give every channel the same thresholds leave one row."""
    chain = Chain([1, 2, 2, 2]).op("Mul", np.full((1, 2, 1, 1), 2.0, np.float32))
    model = chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2").model([1, 2, 2, 2])
    after = check(model, AbsorbMulIntoMultiThreshold(), floats([1, 2, 2, 2]))
    assert np.array_equal(thresholds_of(after), T / 2.0)


def test_a_single_threshold_per_channel_compacts_too():
    one = np.array([[0.5]], np.float32)
    chain = Chain(SHAPE).op("Mul", np.full((1, 3, 1, 1), 0.25, np.float32))
    model = chain.op("MultiThreshold", one, qonnx=True, out_dtype="BINARY").model(SHAPE)
    after = check(model, AbsorbMulIntoMultiThreshold(), floats(SHAPE))
    assert thresholds_of(after).shape == (1, 1) and thresholds_of(after)[0, 0] == 2.0


def test_two_different_channels_are_not_compacted():
    chain = Chain([1, 2, 2, 2]).op("Mul", np.array([1.0, 2.0], np.float32).reshape(1, 2, 1, 1))
    model = chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2").model([1, 2, 2, 2])
    after = check(model, AbsorbMulIntoMultiThreshold(), floats([1, 2, 2, 2]))
    assert np.array_equal(thresholds_of(after), np.concatenate([T, T / 2.0]))
