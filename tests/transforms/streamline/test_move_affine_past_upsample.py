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


def _resize(chain: Chain, scales=(1, 1, 2, 2), mode: str = "nearest") -> Chain:
    attrs = {"mode": mode, "nearest_mode": "floor", "coordinate_transformation_mode": "asymmetric"}
    return chain.op("Resize", None, np.array(scales, np.float32), **attrs)


def _without_mode(model, resize: str):
    """The Resize `resize` without its mode attribute (nearest by default; qonnx's datatype
    inference needs it, so it goes after the model is built)."""
    node = next(n for n in model.graph.node if n.name == resize)
    mode = next(a for a in node.attribute if a.name == "mode")
    node.attribute.remove(mode)
    return model


def test_only_constant_mul_add_before_a_nearest_upsample_move():
    """In order: a Relu; a negative scale read by a Relu; a shift read by a Sub; a square read
    by a Resize; a Sub by a constant before a Resize; then a scale before a Resize without a
    mode attribute (nearest by default): only that one moves, and the pass says so."""
    chain = Chain(SHAPE).op("Relu").op("Mul", np.float32(-0.5)).op("Relu")
    chain.op("Add", np.float32(1.5)).op("Sub", np.float32(0.25))
    _resize(chain.op("Mul", chain.head))
    _resize(chain.op("Sub", CHANNEL))
    last = _resize(chain.op("Mul", CHANNEL)).head
    model = _without_mode(chain.model([1, 2, 24, 40]), last)
    assert MoveAffinePastUpsample().apply(model)[1] is True
    model = _without_mode(chain.model([1, 2, 24, 40]), last)
    after = check(model, MoveAffinePastUpsample(), floats(SHAPE))
    head = ["Relu", "Mul", "Relu", "Add", "Sub", "Mul", "Resize", "Sub", "Resize"]
    assert op_types(after) == [*head, "Resize", "Mul"]


def test_an_upsample_that_changes_channels_or_has_no_known_shape_stays():
    chain = _resize(Chain(SHAPE).op("Mul", CHANNEL), (1, 2, 1, 1))
    after = check(chain.model([1, 4, 3, 5]), MoveAffinePastUpsample(), floats(SHAPE))
    assert op_types(after) == ["Mul", "Resize"]
    chain = _resize(Chain(SHAPE).op("Mul", CHANNEL)).op("Relu")
    model = chain.model([1, 2, 6, 10])
    resize = model.graph.node[1].output[0]
    model.graph.value_info.remove(model.get_tensor_valueinfo(resize))
    assert model.get_tensor_shape(resize) is None
    assert MoveAffinePastUpsample().apply(model)[1] is False
