"""RemoveReluBeforeMultiThreshold: Relu -> MultiThreshold(T > 0) -> MultiThreshold."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import RemoveReluBeforeMultiThreshold
from tests.transforms.streamline.graphs import Chain, check, floats, op_types

SHAPE = [1, 2, 5, 5]


def _model(thresholds):
    chain = Chain(SHAPE).op("Relu")
    chain.op("MultiThreshold", np.asarray(thresholds, np.float32), qonnx=True, out_dtype="UINT2")
    return chain.model(SHAPE)


def test_relu_is_dropped_when_every_threshold_is_positive():
    after = check(_model([[0.5, 1.5, 2.5]]), RemoveReluBeforeMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["MultiThreshold"]


def test_relu_stays_when_a_threshold_is_not_positive():
    after = check(_model([[-0.5, 1.5, 2.5]]), RemoveReluBeforeMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["Relu", "MultiThreshold"]
