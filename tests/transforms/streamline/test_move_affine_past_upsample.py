"""MoveAffinePastUpsample: Mul/Add(c) -> Resize(nearest) -> Resize(nearest) -> Mul/Add(c)."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.transforms.streamline import MoveAffinePastUpsample
from tests.transforms.streamline.graphs import Chain, check, floats, op_types

SHAPE = [1, 2, 3, 5]
CHANNEL = np.array([0.37, -2.5], np.float32).reshape(1, 2, 1, 1)


def _model(op: str, value, mode: str = "nearest"):
    chain = Chain(SHAPE).op(op, np.asarray(value, np.float32))
    resize_attrs = {"mode": mode, "coordinate_transformation_mode": "asymmetric"}
    if mode == "nearest":
        resize_attrs["nearest_mode"] = "floor"
    chain.op("Resize", None, np.array([1, 1, 2, 2], np.float32), **resize_attrs)
    return chain.model([1, 2, 6, 10])


@pytest.mark.parametrize("op", ["Mul", "Add"])
@pytest.mark.parametrize("value", [np.float32(0.3), CHANNEL], ids=["scalar", "channel"])
def test_scale_or_shift_moves_behind_nearest_upsampling(op, value):
    for seed in (0, 1):
        after = check(_model(op, value), MoveAffinePastUpsample(), floats(SHAPE, seed))
        assert op_types(after) == ["Resize", op]


def test_a_spatially_varying_scale_stays():
    value = np.linspace(0.5, 2.0, 5, dtype=np.float32).reshape(1, 1, 1, 5)
    after = check(_model("Mul", value), MoveAffinePastUpsample(), floats(SHAPE))
    assert op_types(after) == ["Mul", "Resize"]


def test_a_shift_before_linear_resize_stays():
    after = check(_model("Add", CHANNEL, mode="linear"), MoveAffinePastUpsample(), floats(SHAPE))
    assert op_types(after) == ["Add", "Resize"]
