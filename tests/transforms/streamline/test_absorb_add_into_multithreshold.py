"""AbsorbAddIntoMultiThreshold: Add(b) -> MultiThreshold(T) -> MultiThreshold(T - b)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import AbsorbAddIntoMultiThreshold
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
