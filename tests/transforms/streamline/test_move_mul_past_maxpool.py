"""MoveMulPastMaxPool: Mul(c > 0) -> MaxPool -> MaxPool -> Mul(c)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import MoveMulPastMaxPool
from tests.transforms.streamline.graphs import Chain, check, floats, op_types

SHAPE = [1, 2, 5, 5]


def _model(scale):
    chain = Chain(SHAPE).op("Mul", np.asarray(scale, np.float32).reshape(1, 2, 1, 1))
    chain.op("MaxPool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
    return chain.model([1, 2, 3, 3])


def test_positive_channel_scales_move_behind_the_pool():
    after = check(_model([0.5, 3.0]), MoveMulPastMaxPool(), floats(SHAPE))
    assert op_types(after) == ["MaxPool", "Mul"]


def test_a_negative_scale_stays():
    after = check(_model([0.5, -3.0]), MoveMulPastMaxPool(), floats(SHAPE))
    assert op_types(after) == ["Mul", "MaxPool"]


def test_a_scale_after_other_nodes_moves_and_reports_the_change():
    chain = Chain(SHAPE).op("Relu").op("Mul", np.float32(0.5))
    chain.op("MaxPool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
    model = chain.model([1, 2, 3, 3])
    assert MoveMulPastMaxPool().apply(model)[1] is True
    after = check(chain.model([1, 2, 3, 3]), MoveMulPastMaxPool(), floats(SHAPE))
    assert op_types(after) == ["Relu", "MaxPool", "Mul"]
