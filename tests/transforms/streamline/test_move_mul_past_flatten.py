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


def test_per_channel_scale_on_two_channels_and_on_a_flat_input_moves():
    """Two channels of 1x1 pixels, and a (1, C) tensor (no pixels at all) through a Flatten:
    each element keeps its channel's scale. The constant may be the Mul's first input."""
    for in_shape, scale in (([1, 2, 1, 1], [[[[0.5]], [[4.0]]]]), ([1, 3], [[0.5, 0.25, 2.0]])):
        model = _model(in_shape, scale, "Flatten", [1, in_shape[1]])
        mul = model.graph.node[0]
        mul.input[0], mul.input[1] = mul.input[1], mul.input[0]
        after = check(model, MoveMulPastFlatten(), integers(in_shape, -4, 4))
        assert op_types(after) == ["Flatten", "Mul"]


def test_per_channel_scale_stays_before_a_reshape_to_a_column():
    """[1, C, 1, 1] -> [C, 1]: the channels end up on the first axis, not as (1, C)."""
    scale = np.array([0.5, 0.25, 2.0]).reshape(1, 3, 1, 1)
    model = _model([1, 3, 1, 1], scale, "Reshape", [3, 1])
    after = check(model, MoveMulPastFlatten(), integers([1, 3, 1, 1], 0, 4))
    assert op_types(after) == ["Mul", "Reshape"]


def test_a_scale_moves_through_consecutive_reshapes_past_other_nodes():
    """Relu -> Mul -> Relu -> Mul -> Reshape -> Flatten: the second scale passes both (one per
    sweep); the first feeds a Relu and stays."""
    chain = Chain([1, 3, 2, 2]).op("Relu").op("Mul", np.float32(2.0)).op("Relu")
    chain.op("Mul", np.float32(0.25))
    chain.op("Reshape", chain.builder.const("shape", np.array([1, 3, 4]), np.int64))
    chain.op("Flatten", axis=1)
    after = check(chain.model([1, 12]), MoveMulPastFlatten(), integers([1, 3, 2, 2], -4, 4))
    assert op_types(after) == ["Relu", "Mul", "Relu", "Reshape", "Flatten", "Mul"]


@pytest.mark.parametrize("unknown", ["scaled", "flat"])
def test_a_channel_scale_with_an_unknown_shape_stays(unknown):
    chain = Chain([1, 3, 1, 1]).op("Mul", np.array([0.5, 2, 4], np.float32).reshape(1, 3, 1, 1))
    scaled = chain.head
    flat = chain.op("Flatten", axis=1).head
    model = chain.op("Relu").model([1, 3])
    model.graph.value_info.remove(
        model.get_tensor_valueinfo(scaled if unknown == "scaled" else flat)
    )
    assert MoveMulPastFlatten().apply(model)[1] is False


def test_a_scalar_scale_stays_a_scalar():
    model = _model([1, 3, 2, 2], 0.25, "Flatten", [1, 12])
    after = check(model, MoveMulPastFlatten(), integers([1, 3, 2, 2], 0, 4))
    assert after.get_initializer(after.graph.node[1].input[1]).size == 1
