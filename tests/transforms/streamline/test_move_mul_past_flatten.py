"""MoveMulPastFlatten: scalar scales pass any Reshape/Flatten, per-channel ones a flatten of
1x1 pixels only."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.transforms.streamline.move_mul_past_flatten import MoveMulPastFlatten
from tests.transforms.streamline.graphs import Chain, check, integers, op_types


def _model(in_shape, scale, op_type, out_shape):
    chain = Chain(in_shape).op("Mul", np.asarray(scale, np.float32))
    if op_type == "Reshape":
        chain.op("Reshape", chain.builder.const("shape", np.array(out_shape), np.int64))
    else:
        chain.op("Flatten", axis=1)
    return chain.model(out_shape)


@pytest.mark.parametrize("op_type", ["Reshape", "Flatten"])
def test_scalar_scale_moves_behind_a_flatten(op_type):
    model = _model([1, 3, 2, 2], 0.25, op_type, [1, 12])
    after = check(model, MoveMulPastFlatten(), integers([1, 3, 2, 2], 0, 4))
    assert op_types(after) == [op_type, "Mul"]


@pytest.mark.parametrize("op_type", ["Reshape", "Flatten"])
def test_per_channel_scale_moves_behind_a_flatten_of_one_pixel(op_type):
    scale = np.array([0.5, 0.25, 2.0]).reshape(1, 3, 1, 1)
    after = check(
        _model([1, 3, 1, 1], scale, op_type, [1, 3]),
        MoveMulPastFlatten(),
        integers([1, 3, 1, 1], 0, 4),
    )
    assert op_types(after) == [op_type, "Mul"]
    assert after.get_initializer(after.graph.node[1].input[1]).shape == (1, 3)


def test_per_channel_scale_stays_before_a_flatten_of_several_pixels():
    scale = np.array([0.5, 0.25, 2.0]).reshape(1, 3, 1, 1)
    model = _model([1, 3, 2, 2], scale, "Flatten", [1, 12])
    after = check(model, MoveMulPastFlatten(), integers([1, 3, 2, 2], 0, 4))
    assert op_types(after) == ["Mul", "Flatten"]
