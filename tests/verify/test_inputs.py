"""Verification inputs: seeded random ones, the range edges and inputs exactly on the first
quantizer's code boundaries (and just below), which catch a threshold one float32 step off
that random inputs miss."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline import QuantActToMultiThreshold, Streamline
from qnnflow.verify import EquivalenceError, verified_transform
from qnnflow.verify.inputs import (
    boundary_values,
    range_inputs,
    seeded_input,
    verification_inputs,
)
from tests.transforms.streamline.graphs import Chain, floats

SHAPE = [1, 2, 4, 4]


def normalised_quant(input_dtype: str | None = None, scale: float = 1 / 128, shape=SHAPE):
    """x -> Mul(2) -> Sub(1) -> Quant(8-bit signed, s, half to even): CNV's input layer."""
    chain = Chain(shape).op("Mul", np.float32(2.0)).op("Sub", np.float32(1.0))
    chain.op(
        "Quant",
        np.float32(scale),
        0.0,
        8.0,
        qonnx=True,
        signed=1,
        narrow=0,
    )
    return chain.model(shape, input_dtype=input_dtype)


def _codes(x: np.ndarray, scale: float = 1 / 128) -> np.ndarray:
    """What the quantizer of normalised_quant outputs for each value of x, by qonnx."""
    model = normalised_quant(scale=scale, shape=[1, 1, 1, x.size])
    out = execute_onnx(model, {"x": x.reshape(1, 1, 1, -1).astype(np.float32)})
    return out[model.graph.output[0].name].ravel() / np.float32(scale)


def test_labels_count_and_seeding():
    model = normalised_quant()
    cases = verification_inputs(model, seed=5, count=3)
    labels = [label for label, _ in cases]
    assert labels[:5] == [
        "random input (seed 5)",
        "random input (seed 5, #1)",
        "random input (seed 5, #2)",
        "zeros",
        "maximum 1",
    ]
    assert labels[5].startswith("boundary input #0")
    assert np.array_equal(cases[0][1], seeded_input(model, 5))
    assert not np.array_equal(cases[0][1], cases[1][1])


def test_float_boundaries_are_where_the_code_changes():
    """Each start reaches the next code and the float32 just below it does not: ties and the
    float rounding of 2x - 1 included."""
    values = boundary_values(normalised_quant())
    assert len(values) == 2 and values[0].size == 2 * 255
    below, starts = values[0][0::2], values[0][1::2]  # sorted pairs
    assert np.array_equal(below, np.nextafter(starts, np.float32(-1)))
    assert np.array_equal(_codes(starts), np.arange(-127, 128))
    assert np.array_equal(_codes(below), np.arange(-128, 127))


def test_integer_inputs_get_integer_boundaries_inside_their_range():
    values = boundary_values(normalised_quant("UINT8", scale=4.0))[0]
    x = np.arange(256, dtype=np.float32)
    codes = _codes(x, scale=4.0)
    changes = x[1:][np.diff(codes) != 0]
    assert changes.size == 127  # (2x - 1) / 4 rounds to 0 .. 127
    # and 0, where code 0 starts (-0.25 rounds to 0; the code below it needs x < 0)
    expected = np.unique(np.concatenate([[0.0], changes - 1, changes]))
    assert np.array_equal(values, expected) and not np.any(np.signbit(values))


def test_the_streamlined_first_layer_has_the_same_boundaries():
    model = normalised_quant()
    streamlined = model.transform(Streamline())
    assert streamlined.graph.node[-2].op_type == "MultiThreshold"
    for before, after in zip(boundary_values(model), boundary_values(streamlined), strict=True):
        assert np.array_equal(before, after)


def test_no_boundaries_behind_a_conv():
    chain = Chain(SHAPE).op("Conv", floats([2, 2, 1, 1]), kernel_shape=[1, 1])
    chain.op("Quant", np.float32(0.5), 0.0, 4.0, qonnx=True, signed=1, narrow=0)
    assert boundary_values(chain.model(SHAPE)) is None


class OneStepHigh(Transformation):
    """Wrong: Quant -> MultiThreshold with every threshold one float32 step high."""

    def apply(self, model):
        model = model.transform(QuantActToMultiThreshold())
        mt = next(n for n in model.graph.node if n.op_type == "MultiThreshold")
        t = model.get_initializer(mt.input[1])
        model.set_initializer(mt.input[1], np.nextafter(t, np.float32(np.inf)))
        return model, False


def test_boundary_inputs_catch_what_random_inputs_miss():
    model = normalised_quant()
    cases = [(label, {"x": x}) for label, x in verification_inputs(model, seed=0, count=3)]
    verified_transform(model, OneStepHigh(), cases[:3])  # random inputs pass
    with pytest.raises(EquivalenceError, match=r"changed the result on boundary input #0"):
        verified_transform(model, OneStepHigh(), cases)


def test_integer_inputs_are_drawn_from_and_bounded_by_their_whole_range():
    model = normalised_quant("INT2", shape=[1, 2, 8, 8])
    assert set(np.unique(seeded_input(model, 0))) == {-2.0, -1.0, 0.0, 1.0}
    cases = range_inputs(model)
    assert [label for label, _ in cases] == ["zeros", "minimum -2", "maximum 1"]
    for (_, x), value in zip(cases, (0.0, -2.0, 1.0), strict=True):
        assert x.shape == (1, 2, 8, 8) and np.all(x == value)
    unsigned = range_inputs(normalised_quant("UINT8"))
    assert [label for label, _ in unsigned] == ["zeros", "maximum 255"]
    assert np.all(unsigned[1][1] == 255.0)


def test_one_random_input_by_default_and_each_one_reproducible():
    model = normalised_quant()
    labels = [label for label, _ in verification_inputs(model, seed=5)]
    assert labels[:3] == ["random input (seed 5)", "zeros", "maximum 1"]
    again = verification_inputs(model, seed=5, count=2)[1]
    assert again[0] == "random input (seed 5, #1)"
    assert np.array_equal(again[1], seeded_input(model, [5, 1]))
