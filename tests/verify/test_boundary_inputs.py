"""Where the first quantizer's boundaries are found (through which normalisations, behind
which quantizers) and how the boundary inputs lay them out: each start makes qonnx's
execution of the graph change its code, the float32 just below does not."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.transforms.streamline.patterns import QONNX_DOMAIN
from qnnflow.util.graph_builder import GraphBuilder
from qnnflow.verify.inputs import boundary_inputs, boundary_values
from tests.transforms.streamline.graphs import Chain

C = 2


def quant(chain: Chain, bits=4.0, zeropt=0.0, scale=0.5, signed=1, narrow=0) -> Chain:
    return chain.op(
        "Quant", np.float32(scale), zeropt, bits, qonnx=True, signed=signed, narrow=narrow
    )


def quantized(*ops: tuple, shape=(1, C), dtype: str | None = None, **quant_options):
    """x [shape] -> each (op_type, constant) -> Quant(bits, scale 0.5)."""
    chain = Chain(list(shape))
    for op_type, value in ops:
        chain.op(op_type, np.asarray(value, np.float32))
    return quant(chain, **quant_options).model(list(shape), input_dtype=dtype)


def const_first(op_type: str | None, value: float = 0.0) -> ModelWrapper:
    """x [1, C] -> op_type(constant, x) -> Quant(4 bits): the constant is the first operand;
    without op_type, x -> Quant with its bit width a second graph input (no constant)."""
    b = GraphBuilder()
    x = b.add_input("x", [1, C])
    t = b.node(op_type, [b.const("c", np.float32(value)), x], "op") if op_type else x
    params = [b.const(n, np.float32(v)) for n, v in (("s", 0.5), ("z", 0.0), ("b", 4.0))]
    if op_type is None:
        params[2] = b.add_input("bits", [])
    y = b.node("Quant", [t, *params], "q", domain=QONNX_DOMAIN, signed=1, narrow=0)
    proto = b.finish([(y, [1, C])], "const_first", domains=(QONNX_DOMAIN,))
    return ModelWrapper(proto).transform(InferShapes())


def thresholds(values, dtype: str = "UINT8", out_scale: float = 2.0, out_bias: float = -1.0):
    """x [1, C] (dtype) -> MultiThreshold(values per channel, out_scale, out_bias)."""
    chain = Chain([1, C]).op(
        "MultiThreshold",
        np.asarray(values, np.float32),
        qonnx=True,
        out_dtype="INT8",
        out_scale=out_scale,
        out_bias=out_bias,
    )
    return chain.model([1, C], input_dtype=dtype)


def _output(model: ModelWrapper, channel: int, value: float) -> float:
    x = np.zeros([1, C], np.float32)
    x[0, channel] = value
    return float(execute_onnx(model, {"x": x})[model.graph.output[0].name][0, channel])


def assert_float_boundaries(model: ModelWrapper, count: int) -> None:
    """`count` starts per channel, each where the output changes and the one below not."""
    values = boundary_values(model)
    assert len(values) == C
    for c, channel in enumerate(values):
        assert channel.size == 2 * count
        below, starts = channel[0::2], channel[1::2]
        assert np.array_equal(below, np.nextafter(starts, np.float32(-np.inf)))
        outs = [_output(model, c, v) for v in channel]
        assert all(outs[i] != outs[i + 1] for i in range(0, 2 * count, 2))  # each start
        assert all(outs[i] == outs[i + 1] for i in range(1, 2 * count - 1, 2))  # in between


def test_a_two_dimensional_input_gets_boundaries_per_feature():
    assert_float_boundaries(quantized(("Mul", 2.0)), count=15)


def test_odd_constants_are_applied_in_float32_as_the_graph_does():
    assert_float_boundaries(quantized(("Mul", [[0.3, 0.7]]), ("Add", [[0.1, -0.35]])), 15)


def test_a_scale_below_one_per_channel_and_a_positive_divisor_keep_their_boundaries():
    assert_float_boundaries(quantized(("Mul", [[0.5, 3.0]]), ("Div", 0.75)), count=15)
    channels = boundary_values(quantized(("Mul", [[0.5, 3.0]])))
    assert not np.array_equal(channels[0], channels[1])


def test_a_scale_that_is_no_power_of_two_is_probed_in_float32_as_executed():
    assert_float_boundaries(quantized(("Mul", 1.7), bits=6.0, scale=0.3), count=63)


def test_a_two_bit_signed_quantizer_has_three_boundaries():
    assert_float_boundaries(quantized(bits=2.0), count=3)


def test_a_constant_first_operand_of_mul_or_add_is_the_same_normalisation():
    for op_type in ("Mul", "Add"):
        reversed_order = boundary_values(const_first(op_type, 3.0))
        plain = boundary_values(quantized((op_type, 3.0)))
        assert all(np.array_equal(a, b) for a, b in zip(reversed_order, plain, strict=True))


@pytest.mark.parametrize(
    "model",
    [
        const_first("Sub", 1.0),  # 1 - x: the order of the codes reverses
        const_first("Div", 1.0),  # 1 / x
        quantized(("Max", 0.0)),  # not a normalisation
        quantized(("Mul", -1.0)),  # a sign flip
        quantized(("Div", [[2.0, -2.0]])),
        quantized(("Mul", 0.0)),  # every input the same code
        quantized(("Add", np.arange(8).reshape(1, 2, 2, 2)), shape=(1, 2, 2, 2)),  # per pixel
        quantized(zeropt=1.0),
        quantized(bits=np.array([4.0, 2.0]).reshape(1, 2)),  # bit width per channel
        const_first(None),  # a bit width that is no constant
    ],
    ids=["c-x", "c/x", "max", "mul<0", "div<0", "mul0", "per-pixel", "zeropt", "bits/ch", "bits?"],
)
def test_no_boundaries_where_the_input_cannot_be_placed_on_them(model):
    assert boundary_values(model) is None


def test_a_bipolar_quantizer_changes_sign_at_zero():
    model = Chain([1, C]).op("BipolarQuant", np.float32(1.0), qonnx=True).model([1, C])
    zero = np.float32(0.0)
    for channel in boundary_values(model):
        assert np.array_equal(channel, [np.nextafter(zero, np.float32(-1)), zero])
    assert _output(model, 0, 0.0) == 1.0 and _output(model, 0, -1e-45) == -1.0


def test_thresholds_with_an_output_scale_and_bias_up_to_the_range_end():
    """Integer input: each threshold's least integer and the one below, 255 included."""
    model = thresholds([[10.0, 255.0], [3.5, 7.0]])
    values = boundary_values(model)
    assert np.array_equal(values[0], [9, 10, 254, 255])
    assert np.array_equal(values[1], [3, 4, 6, 7])
    assert [_output(model, 0, v) for v in values[0]] == [-1.0, 1.0, 1.0, 3.0]


def test_thresholds_at_infinity_are_levels_always_or_never_reached():
    model = thresholds([[1.0, np.inf], [-np.inf, 2.0]], dtype=None)
    for channel, start in zip(boundary_values(model), (1.0, 2.0), strict=True):
        assert np.array_equal(channel, [np.nextafter(np.float32(start), np.float32(0)), start])


def test_a_single_boundary_value_still_gets_an_input():
    (case,) = boundary_inputs(thresholds([[255.5, 255.5], [255.5, 255.5]], out_scale=1.0))
    assert np.all(case[1] == 255.0)


def _values_by_channel(cases) -> list[set]:
    return [{float(v) for _, x in cases for v in x[:, c].ravel()} for c in range(C)]


def test_shared_boundaries_are_spread_over_the_channels_of_as_few_inputs_as_needed():
    model = quantized(shape=(1, C, 2, 2))
    values = boundary_values(model)[0]  # the same for both channels: 30 values
    cases = boundary_inputs(model)
    assert len(cases) == 4  # 8 elements per input
    first = cases[0][1]
    assert np.array_equal(first[0, 0].ravel(), values[:4])
    assert np.array_equal(first[0, 1].ravel(), values[4:8])
    seen = set.union(*_values_by_channel(cases))
    assert seen == {float(v) for v in values}
    two_bits = boundary_inputs(quantized(shape=(1, C, 2, 2), bits=2.0))
    assert len(two_bits) == 1  # 6 values fit one input


def test_a_single_channel_cycles_through_its_values():
    model = quantized(shape=(1, 1, 2, 4))
    values = boundary_values(model)[0]
    cases = boundary_inputs(model)
    assert len(cases) == 4 and np.array_equal(cases[0][1].ravel(), values[:8])
    assert {float(v) for _, x in cases for v in x.ravel()} == {float(v) for v in values}


def test_per_channel_boundaries_cycle_within_each_channel():
    model = quantized(("Mul", np.array([2.0, 3.0]).reshape(1, 2, 1, 1)), shape=(1, C, 2, 4))
    values = boundary_values(model)
    cases = boundary_inputs(model)
    assert len(cases) == 4  # 30 values per channel, 8 positions
    for c, seen in enumerate(_values_by_channel(cases)):
        assert np.array_equal(cases[0][1][0, c].ravel(), values[c][:8])
        assert seen == {float(v) for v in values[c]}
