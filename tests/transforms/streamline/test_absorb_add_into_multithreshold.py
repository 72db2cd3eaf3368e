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
    assert np.array_equal(thresholds_of(after), t - np.array([[1.0], [-2.0], [0.5]]))
