"""MoveMulPastPad: Mul(c) -> Pad(0) -> Pad(0) -> Mul(c), right/bottom padding included."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.transforms.streamline import MoveMulPastPad
from qnnflow.transforms.streamline.move_mul_past_pad import _zero_pads
from tests.transforms.streamline.graphs import Chain, check, floats, op_types

SHAPE = [1, 2, 5, 5]
RIGHT_BOTTOM = np.array([0, 0, 0, 0, 0, 0, 1, 1])


def _model(scale, pads, value=0.0):
    chain = Chain(SHAPE).op("Mul", np.asarray(scale, np.float32))
    chain.op("Pad", pads, np.float32(value), mode="constant")
    out = [int(d + pads[i] + pads[i + 4]) for i, d in enumerate(SHAPE)]
    return chain.model(out)


def test_channel_scale_moves_behind_zero_padding():
    scale = np.array([0.5, -2.0]).reshape(1, 2, 1, 1)
    after = check(_model(scale, RIGHT_BOTTOM), MoveMulPastPad(), floats(SHAPE))
    assert op_types(after) == ["Pad", "Mul"]


def test_channel_scale_stays_when_channels_are_padded():
    scale = np.array([0.5, -2.0]).reshape(1, 2, 1, 1)
    pads = np.array([0, 1, 0, 0, 0, 0, 0, 0])
    after = check(_model(scale, pads), MoveMulPastPad(), floats(SHAPE))
    assert op_types(after) == ["Mul", "Pad"]


def test_non_zero_padding_stays():
    after = check(_model(0.5, RIGHT_BOTTOM, value=1.0), MoveMulPastPad(), floats(SHAPE))
    assert op_types(after) == ["Mul", "Pad"]


def _pad_node(*inputs, **attrs):
    return helper.make_node("Pad", ["x", *inputs], ["y"], name="pad", **attrs)


def _with_inits(**values) -> ModelWrapper:
    graph = helper.make_graph([], "g", [], [])
    model = ModelWrapper(helper.make_model(graph))
    for name, value in values.items():
        model.set_initializer(name, np.asarray(value))
    return model


@pytest.mark.parametrize(
    "inputs, attrs, expected",
    [
        (("p",), {}, [0, 0, 1, 1]),  # pads input, no mode (constant), no value (0)
        (("p", "v0"), {"mode": "constant"}, [0, 0, 1, 1]),
        (("p", ""), {}, [0, 0, 1, 1]),  # an empty value input means 0
        (("p", "v1"), {}, None),
        (("p", "v0"), {"mode": "reflect"}, None),
        (("p", "v0", "axes"), {}, None),  # an axes input is not read
        ((), {"pads": [0, 0, 2, 2]}, [0, 0, 2, 2]),  # opset < 11: attributes
        ((), {"pads": [0, 0, 2, 2], "value": 0.0}, [0, 0, 2, 2]),
        ((), {"pads": [0, 0, 2, 2], "value": 1.0}, None),
        ((), {"pads": [0, 0, 2, 2], "mode": b"edge"}, None),
        ((), {}, None),  # no pads at all
        (("dynamic",), {}, None),  # pads computed at run time
    ],
)
def test_zero_pads_reads_both_pad_forms(inputs, attrs, expected):
    model = _with_inits(p=np.array([[0, 0], [1, 1]]), v0=np.float32(0), v1=np.float32(1))
    pads = _zero_pads(model, _pad_node(*inputs, **attrs))
    if expected is None:
        assert pads is None
    else:
        assert pads.shape == (4,) and pads.tolist() == expected


def test_a_scale_leaves_the_padding_when_it_is_not_the_padded_input():
    """A Pad reading the Mul's output as its pads or a second Mul reading it: no move."""
    chain = Chain(SHAPE).op("Mul", np.float32(0.5))
    scaled = chain.head
    chain.op("Pad", RIGHT_BOTTOM, np.float32(0), mode="constant")
    chain.op("Mul", np.float32(3.0))
    model = chain.model([1, 2, 6, 6])
    after = check(model, MoveMulPastPad(), floats(SHAPE))
    assert op_types(after) == ["Pad", "Mul", "Mul"]
    assert scaled not in [n.output[0] for n in after.graph.node if n.op_type == "Mul"]


def test_every_scale_of_a_chain_moves():
    """Two scaled paddings in one graph: both scales move in one pass (no early stop)."""
    chain = Chain(SHAPE).op("Mul", np.float32(0.5))
    chain.op("Pad", RIGHT_BOTTOM, np.float32(0), mode="constant")
    chain.op("Relu")
    chain.op("Mul", np.array([2.0, -1.0], np.float32).reshape(1, 2, 1, 1))
    chain.op("Pad", RIGHT_BOTTOM, np.float32(0), mode="constant")
    model = chain.model([1, 2, 7, 7])
    changed = MoveMulPastPad().apply(model)[1]
    assert changed is True
    after = check(model, MoveMulPastPad(), floats(SHAPE))
    assert op_types(after) == ["Pad", "Mul", "Relu", "Pad", "Mul"]
    assert MoveMulPastPad().apply(after)[1] is False


@pytest.mark.parametrize(
    "pads, moves",
    [
        ([0, 0, 0, 0, 0, 1, 0, 0], False),  # channel end padded
        ([0, 0, 0, 0, 0, 0, 0, 1], True),
        ([1, 0, 0, 0, 0, 0, 0, 0], True),  # batch padded: channels untouched
    ],
)
def test_channel_scale_checks_both_channel_pads(pads, moves):
    scale = np.array([0.5, -2.0]).reshape(1, 2, 1, 1)
    after = check(_model(scale, np.array(pads)), MoveMulPastPad(), floats(SHAPE))
    assert op_types(after) == (["Pad", "Mul"] if moves else ["Mul", "Pad"])


def test_a_scale_that_is_not_per_channel_stays():
    scale = np.full((1, 1, 5, 1), 0.5, np.float32)
    after = check(_model(scale, RIGHT_BOTTOM), MoveMulPastPad(), floats(SHAPE))
    assert op_types(after) == ["Mul", "Pad"]
