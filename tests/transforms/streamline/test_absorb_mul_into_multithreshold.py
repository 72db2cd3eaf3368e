"""AbsorbMulIntoMultiThreshold: Mul(c >= 0) -> MultiThreshold(T) -> MultiThreshold(T / c)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import AbsorbMulIntoMultiThreshold
from qnnflow.transforms.streamline.absorb_mul_into_multithreshold import BIG
from qnnflow.verify import verified_transform
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


def test_a_scale_read_elsewhere_too_stays():
    """The scaled tensor is also a graph output: the Mul must stay to produce it."""
    chain = Chain(SHAPE).op("Mul", np.full((1, 3, 1, 1), 0.5, np.float32))
    scaled = chain.head
    chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2")
    model = chain.model(SHAPE, also=((scaled, SHAPE),))
    after = check(model, AbsorbMulIntoMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["Mul", "MultiThreshold"]


def test_only_the_mul_right_before_the_thresholding_is_absorbed():
    """Mul -> Relu -> Mul -> MultiThreshold: the first Mul feeds a Relu and stays."""
    chain = Chain(SHAPE).op("Mul", np.float32(3.0)).op("Relu")
    chain.op("Mul", np.array([0.5, 2.0, 0.25], np.float32).reshape(1, 3, 1, 1))
    model = chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2").model(SHAPE)
    after = check(model, AbsorbMulIntoMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["Mul", "Relu", "MultiThreshold"]


def test_chained_scales_fold_one_after_the_other():
    """Mul(c1) -> Mul(c2) -> MultiThreshold: once c2 is absorbed, c1 feeds the thresholding
    and is absorbed on the next sweep."""
    chain = Chain(SHAPE).op("Mul", np.float32(4.0))
    chain.op("Mul", np.array([0.5, 2.0, 0.0], np.float32).reshape(1, 3, 1, 1))
    model = chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2").model(SHAPE)
    after = check(model, AbsorbMulIntoMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["MultiThreshold"]


def test_thresholds_given_at_run_time_are_not_rewritten():
    """A MultiThreshold whose thresholds are a graph input has nothing to divide; the
    Mul -> MultiThreshold after it still folds."""
    chain = Chain(SHAPE).op("Mul", np.float32(0.5))
    t_input = chain.builder.add_input("t", [3, 3])
    chain.op("MultiThreshold", t_input, qonnx=True, out_dtype="UINT2")
    chain.op("Mul", np.float32(0.5)).op("MultiThreshold", T, qonnx=True, out_dtype="UINT2")
    t = np.sort(floats([3, 3], seed=1), axis=1)
    feed = {"x": floats(SHAPE), "t": t}
    after = verified_transform(chain.model(SHAPE), AbsorbMulIntoMultiThreshold(), feed)
    assert op_types(after) == ["Mul", "MultiThreshold", "MultiThreshold"]


def test_a_constant_add_is_no_scale():
    chain = Chain(SHAPE).op("Add", np.float32(2.0))
    model = chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2").model(SHAPE)
    after = check(model, AbsorbMulIntoMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["Add", "MultiThreshold"]


def test_channels_last_scale_folds_per_channel_of_the_last_axis():
    """An NHWC MultiThreshold counts per channel of the last axis: so is the scale taken."""
    shape = [1, 4, 4, 3]
    chain = Chain(shape).op("Mul", np.array([0.5, 2.0, 0.25], np.float32).reshape(1, 1, 1, 3))
    chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2", data_layout="NHWC")
    after = check(chain.model(shape), AbsorbMulIntoMultiThreshold(), floats(shape))
    assert op_types(after) == ["MultiThreshold"]
    assert np.array_equal(thresholds_of(after), T / np.array([[0.5], [2.0], [0.25]]))


def test_channels_last_scale_varying_along_height_stays():
    """In NHWC, axis 1 is the height: a scale varying along it is not per channel."""
    shape = [1, 3, 4, 3]
    chain = Chain(shape).op("Mul", np.array([0.5, 2.0, 0.25], np.float32).reshape(1, 3, 1, 1))
    chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2", data_layout="NHWC")
    after = check(chain.model(shape), AbsorbMulIntoMultiThreshold(), floats(shape))
    assert op_types(after) == ["Mul", "MultiThreshold"]
