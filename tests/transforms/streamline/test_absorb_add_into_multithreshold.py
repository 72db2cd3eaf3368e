"""AbsorbAddIntoMultiThreshold: Add(b) -> MultiThreshold(T) -> MultiThreshold(T - b)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import AbsorbAddIntoMultiThreshold
from qnnflow.verify import verified_transform
from tests.transforms.streamline.graphs import (
    Chain,
    check,
    integers,
    op_types,
    thresholds_of,
)

SHAPE = [1, 3, 4, 4]


def test_channel_bias_is_subtracted_from_shared_thresholds():
    chain = Chain(SHAPE).op("Add", np.array([1.0, -2.0, 0.5], np.float32).reshape(1, 3, 1, 1))
    t = np.array([[-0.5, 0.5, 1.5]], np.float32)
    chain.op("MultiThreshold", t, qonnx=True, out_dtype="UINT2")
    after = check(chain.model(SHAPE), AbsorbAddIntoMultiThreshold(), integers(SHAPE, -4, 5))
    assert op_types(after) == ["MultiThreshold"]
    # T - b, except where float32 rounding of x + b lets a slightly smaller x reach T
    assert np.allclose(thresholds_of(after), t - np.array([[1.0], [-2.0], [0.5]]), atol=1e-6)


def test_a_sum_that_rounds_onto_the_threshold_passes():
    """float32(x + 1) rounds 0.49999997 + 1 up to 1.5: the absorbed threshold says the same."""
    chain = Chain([1, 1, 1, 4]).op("Add", np.float32(1.0))
    chain.op("MultiThreshold", np.array([[1.5]], np.float32), qonnx=True, out_dtype="BINARY")
    x = np.array([0.5, np.nextafter(np.float32(0.5), 0), 0.49999994, 0.4999999], np.float32)
    after = check(chain.model([1, 1, 1, 4]), AbsorbAddIntoMultiThreshold(), x.reshape(1, 1, 1, 4))
    t = float(thresholds_of(after)[0, 0])
    assert (x.astype(np.float32) + np.float32(1.0) >= 1.5).tolist() == (x >= t).tolist()


def test_a_bias_varying_over_space_stays():
    """One bias per pixel is no per-channel shift of the thresholds."""
    bias = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    chain = Chain(SHAPE).op("Add", bias)
    chain.op("MultiThreshold", np.array([[0.5, 1.5]], np.float32), qonnx=True, out_dtype="UINT2")
    after = check(chain.model(SHAPE), AbsorbAddIntoMultiThreshold(), integers(SHAPE, -4, 5))
    assert op_types(after) == ["Add", "MultiThreshold"]


def test_a_sum_read_elsewhere_too_stays():
    chain = Chain(SHAPE).op("Add", np.float32(1.0))
    shifted = chain.head
    chain.op("MultiThreshold", np.array([[0.5, 1.5]], np.float32), qonnx=True, out_dtype="UINT2")
    model = chain.model(SHAPE, also=((shifted, SHAPE),))
    after = check(model, AbsorbAddIntoMultiThreshold(), integers(SHAPE, -4, 5))
    assert op_types(after) == ["Add", "MultiThreshold"]


def test_chained_biases_fold_one_after_the_other_past_other_nodes():
    """Add -> Relu -> Add -> Add -> MultiThreshold: both Adds after the Relu are absorbed
    (the second once the first is gone); the one before the Relu stays."""
    chain = Chain(SHAPE).op("Add", np.float32(-1.0)).op("Relu")
    chain.op("Add", np.float32(0.5))
    chain.op("Add", np.array([1.0, -2.0, 0.25], np.float32).reshape(1, 3, 1, 1))
    chain.op("MultiThreshold", np.array([[0.5, 1.5]], np.float32), qonnx=True, out_dtype="UINT2")
    after = check(chain.model(SHAPE), AbsorbAddIntoMultiThreshold(), integers(SHAPE, -4, 5))
    assert op_types(after) == ["Add", "Relu", "MultiThreshold"]


def test_thresholds_given_at_run_time_are_not_rewritten():
    """Thresholds that are a graph input are left as they are; the Add -> MultiThreshold
    after them still folds."""
    chain = Chain(SHAPE).op("Add", np.float32(1.0))
    t_input = chain.builder.add_input("t", [3, 2])
    chain.op("MultiThreshold", t_input, qonnx=True, out_dtype="UINT2")
    chain.op("Add", np.float32(-1.0))
    chain.op("MultiThreshold", np.array([[0.5, 1.5]], np.float32), qonnx=True, out_dtype="UINT2")
    feed = {"x": integers(SHAPE, -4, 5), "t": np.array([[0, 1], [1, 2], [-1, 3]], np.float32)}
    after = verified_transform(chain.model(SHAPE), AbsorbAddIntoMultiThreshold(), feed)
    assert op_types(after) == ["Add", "MultiThreshold", "MultiThreshold"]


def test_a_constant_mul_is_no_shift():
    chain = Chain(SHAPE).op("Mul", np.float32(2.0))
    chain.op("MultiThreshold", np.array([[0.5, 1.5]], np.float32), qonnx=True, out_dtype="UINT2")
    after = check(chain.model(SHAPE), AbsorbAddIntoMultiThreshold(), integers(SHAPE, -4, 5))
    assert op_types(after) == ["Mul", "MultiThreshold"]


def test_channels_last_bias_shifts_per_channel_of_the_last_axis():
    shape = [1, 4, 4, 3]
    bias = np.array([1.0, -2.0, 0.5], np.float32)
    chain = Chain(shape).op("Add", bias.reshape(1, 1, 1, 3))
    t = np.array([[-0.5, 0.5]], np.float32)
    chain.op("MultiThreshold", t, qonnx=True, out_dtype="UINT2", data_layout="NHWC")
    after = check(chain.model(shape), AbsorbAddIntoMultiThreshold(), integers(shape, -4, 5))
    # T - b per channel of the last axis (up to the float32 rounding of x + b)
    assert np.allclose(thresholds_of(after), t - bias.reshape(3, 1), atol=1e-6)
