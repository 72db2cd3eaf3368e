"""QuantWeightsToInteger: Conv(Quant(W)) -> Mul(Conv(W_int), s), bit-exact on integer inputs."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.transforms.streamline import QuantWeightsToInteger
from qnnflow.transforms.streamline.quant_weights_to_integer import weight_output_axis
from tests.transforms.streamline.graphs import Chain, check, floats, integers, op_types

SCALES = np.array([0.25, 0.5, 0.125, 1.0], dtype=np.float32).reshape(4, 1, 1, 1)


def _conv(op_type: str, params: list, bias: np.ndarray | None = None, **attrs):
    chain = Chain([1, 3, 5, 5])
    wq = chain.weight_quant(op_type, floats([4, 3, 3, 3], seed=1), *params, **attrs)
    chain.op("Conv", wq, *([] if bias is None else [bias]), kernel_shape=[3, 3], pads=[1] * 4)
    return chain.model([1, 4, 5, 5])


def _weights(model):
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    return model.get_initializer(conv.input[1]), model.get_tensor_datatype(conv.input[1])


def test_per_channel_int4_weights_become_integers_and_a_channel_scale():
    model = _conv("Quant", [SCALES, 0.0, 4.0], signed=1, narrow=1, rounding_mode="ROUND")
    after = check(model, QuantWeightsToInteger(), integers([1, 3, 5, 5], -8, 9))
    assert op_types(after) == ["Conv", "Mul"]
    weights, dtype = _weights(after)
    assert dtype.name == "INT4" and np.array_equal(weights, np.round(weights))
    assert weights.min() >= -7 and weights.max() <= 7
    assert after.get_initializer(after.graph.node[1].input[1]).shape == (1, 4, 1, 1)


def test_binary_weights_become_bipolar():
    model = _conv("BipolarQuant", [np.float32(0.5)])
    after = check(model, QuantWeightsToInteger(), integers([1, 3, 5, 5], 0, 8))
    weights, dtype = _weights(after)
    assert dtype.name == "BIPOLAR" and set(np.unique(weights)) == {-1.0, 1.0}


def test_conv_bias_moves_behind_the_scale():
    bias = np.array([1.0, -2.0, 3.0, 0.5], dtype=np.float32)
    model = _conv("Quant", [np.float32(0.25), 0.0, 8.0], bias, signed=1, narrow=1)
    after = check(model, QuantWeightsToInteger(), integers([1, 3, 5, 5], -8, 9))
    assert op_types(after) == ["Conv", "Mul", "Add"]
    assert len(after.graph.node[0].input) == 2


def _fc(op_type: str, wshape: list[int], params: list, quant="Quant", bias=None, **attrs):
    """x [1, 6] -> Gemm/MatMul(x, Quant(W)) -> [1, 4]."""
    chain = Chain([1, 6])
    qattrs = {"signed": 1, "narrow": 0, "rounding_mode": "ROUND"} if quant == "Quant" else {}
    wq = chain.weight_quant(quant, floats(wshape, seed=2), *params, **qattrs)
    chain.op(op_type, wq, *([] if bias is None else [bias]), **attrs)
    return chain.model([1, 4])


def _fc_weights(model):
    layer = next(n for n in model.graph.node if n.op_type in ("Gemm", "MatMul"))
    return model.get_initializer(layer.input[1]), model.get_tensor_datatype(layer.input[1])


@pytest.mark.parametrize(
    "op_type,wshape,scale,attrs",
    [
        ("Gemm", [4, 6], SCALES.reshape(4, 1), {"transB": 1}),  # Brevitas' nn.Linear export
        ("Gemm", [6, 4], SCALES.reshape(1, 4), {}),
        ("MatMul", [6, 4], SCALES.reshape(4), {}),
        ("MatMul", [6, 4], np.float32(0.25), {}),
    ],
)
def test_fully_connected_weights_become_integers_and_a_last_axis_scale(
    op_type, wshape, scale, attrs
):
    model = _fc(op_type, wshape, [scale, 0.0, 3.0], **attrs)
    after = check(model, QuantWeightsToInteger(), integers([1, 6], -8, 9))
    assert op_types(after) == [op_type, "Mul"]
    weights, dtype = _fc_weights(after)
    assert dtype.name == "INT3" and list(weights.shape) == wshape
    assert np.array_equal(weights, np.round(weights)) and weights.min() >= -4 <= weights.max() <= 3
    s = after.get_initializer(after.graph.node[1].input[1])
    assert s.shape == ((1, 4) if np.size(scale) > 1 else (1,))


def test_bipolar_fully_connected_weights():
    model = _fc("Gemm", [4, 6], [np.float32(0.5)], quant="BipolarQuant", transB=1)
    after = check(model, QuantWeightsToInteger(), integers([1, 6], -2, 2))
    weights, dtype = _fc_weights(after)
    assert dtype.name == "BIPOLAR" and set(np.unique(weights)) == {-1.0, 1.0}


@pytest.mark.parametrize("bias", [np.arange(4, dtype=np.float32) - 1.5, np.ones((1, 4)) * 0.5])
def test_gemm_bias_moves_behind_the_scale(bias):
    model = _fc("Gemm", [4, 6], [np.float32(0.25), 0.0, 4.0], bias=bias, transB=1)
    after = check(model, QuantWeightsToInteger(), integers([1, 6], -8, 9))
    assert op_types(after) == ["Gemm", "Mul", "Add"]
    assert len(after.graph.node[0].input) == 2
    assert after.get_initializer(after.graph.node[2].input[1]).shape == (1, 4)


@pytest.mark.parametrize(
    "attrs,scale",
    [
        ({"transB": 1, "alpha": 2.0}, np.float32(0.25)),  # alpha would scale the integers
        ({"transB": 1}, np.linspace(0.1, 0.6, 6, dtype=np.float32).reshape(1, 6)),  # per input
        ({"transB": 1}, -np.float32(0.25)),  # negative scale
    ],
)
def test_unsupported_fully_connected_layers_are_left_alone(attrs, scale):
    model = _fc("Gemm", [4, 6] if attrs.get("transB") else [6, 4], [scale, 0.0, 4.0], **attrs)
    after = check(model, QuantWeightsToInteger(), integers([1, 6], -8, 9))
    assert op_types(after) == ["Quant", "Gemm"]


@pytest.mark.parametrize(
    "attrs,bias,expected",
    [
        ({}, False, 1),
        ({"transB": 1}, False, 0),
        ({"transB": 1, "beta": 2.0}, False, 0),  # beta scales a bias there is none of
        ({"transB": 1, "beta": 2.0}, True, None),  # a scaled bias
        ({"transA": 1}, False, None),  # the input is transposed: no rows of activations
        ({"alpha": 0.5}, True, None),
    ],
)
def test_gemm_output_axis_and_the_attributes_that_refuse_it(attrs, bias, expected):
    """The weight axis holding a Gemm's output channels, None for a Gemm that is not a plain
    x W (+ C): alpha, transA and beta with a bias would not carry over to integer weights."""
    shape = [4, 6] if attrs.get("transB") else [6, 4]
    consts = [np.ones(shape, np.float32)] + ([np.ones(4, np.float32)] if bias else [])
    x_shape = [6, 1] if attrs.get("transA") else [1, 6]
    model = Chain(x_shape).op("Gemm", *consts, **attrs).model([1, 4])
    assert weight_output_axis(model, model.graph.node[0]) == expected


def test_matmul_output_axis_needs_a_weight_matrix():
    """A MatMul by a 2-D constant has its output channels on axis 1; by a stack of matrices
    it is no fully connected layer."""
    matrix = Chain([1, 6]).op("MatMul", np.ones([6, 4], np.float32)).model([1, 4])
    stack = Chain([2, 1, 6]).op("MatMul", np.ones([2, 6, 4], np.float32)).model([2, 1, 4])
    assert weight_output_axis(matrix, matrix.graph.node[0]) == 1
    assert weight_output_axis(stack, stack.graph.node[0]) is None


QUANT = {"signed": 1, "narrow": 0, "rounding_mode": "ROUND"}


@pytest.mark.parametrize(
    "params, attrs",
    [
        ([np.float32(0.25), 1.0, 4.0], {}),  # a zero point
        ([np.float32(0.25), 0.0, 4.5], {}),  # a fractional bit width
        ([np.float32(0.25), 0.0, 1.0], {}),  # one bit: BipolarQuant's job
        ([np.array([0.25, 0.0, 0.5, 1.0], np.float32).reshape(4, 1, 1, 1), 0.0, 4.0], {}),
    ],
    ids=["zero-point", "fractional-bits", "one-bit", "zero-scale"],
)
def test_quantizers_that_are_no_plain_integer_grid_stay(params, attrs):
    model = _conv("Quant", params, **QUANT, **attrs)
    after = check(model, QuantWeightsToInteger(), integers([1, 3, 5, 5], -8, 9))
    assert op_types(after) == ["Quant", "Conv"]


def test_per_channel_bit_widths_stay():
    """(qonnx cannot execute them, so the rule is asked directly.)"""
    bits = np.full(4, 4.0, np.float32).reshape(4, 1, 1, 1)
    model = _conv("Quant", [np.float32(0.25), 0.0, bits], **QUANT)
    assert QuantWeightsToInteger().apply(model)[1] is False


@pytest.mark.parametrize("bits, signed, dtype", [(2.0, 1, "INT2"), (4.0, 0, "UINT4")])
def test_the_weight_datatype_follows_bits_and_sign(bits, signed, dtype):
    model = _conv("Quant", [np.float32(0.25), 0.0, bits], signed=signed, narrow=0)
    after = check(model, QuantWeightsToInteger(), integers([1, 3, 5, 5], -8, 9))
    assert op_types(after) == ["Conv", "Mul"]
    assert _weights(after)[1] == DataType[dtype]


def test_only_a_layer_with_its_own_quantizer_and_a_constant_bias_converts_in_place():
    """In order: a Relu; a conv whose bias is computed at run time; two convs sharing one
    weight quantizer (all stay); then a nameless conv with a constant bias and two output
    channels, followed by a Relu: Mul and Add named after its output, right behind it."""
    chain = Chain([1, 2, 4, 4]).op("Relu")
    wq = chain.weight_quant(
        "Quant", floats([2, 2, 1, 1], seed=1), np.float32(0.5), 0.0, 4.0, **QUANT
    )
    computed = chain.builder.node("ReduceMax", [chain.head], "computed", axes=[0, 2, 3], keepdims=0)
    chain.op("Conv", wq, computed, kernel_shape=[1, 1])
    shared = chain.weight_quant(
        "Quant", floats([2, 2, 1, 1], seed=2), np.float32(0.5), 0.0, 4.0, **QUANT
    )
    chain.op("Conv", shared, kernel_shape=[1, 1]).op("Conv", shared, kernel_shape=[1, 1])
    scale = np.array([0.5, 0.25], np.float32).reshape(2, 1, 1, 1)
    last = chain.weight_quant("Quant", floats([2, 2, 1, 1], seed=3), scale, 0.0, 4.0, **QUANT)
    conv = chain.op("Conv", last, np.array([1.0, -0.5], np.float32), kernel_shape=[1, 1]).head
    chain.op("Relu")

    def model():
        m = chain.model([1, 2, 4, 4])
        next(n for n in m.graph.node if n.output[0] == conv).name = ""
        return m

    rewritten = model()
    assert QuantWeightsToInteger().apply(rewritten)[1] is True
    names = [n.name for n in rewritten.graph.node]
    at = names.index(f"{conv}_wscale")
    assert names[at - 1 : at + 3] == ["", f"{conv}_wscale", f"{conv}_bias", "relu_1"]
    x = integers([1, 2, 4, 4], -8, 9)
    after = check(model(), QuantWeightsToInteger(), x)
    assert op_types(after).count("Quant") == 2  # the computed-bias and the shared quantizers
    assert after.get_initializer(after.graph.node[at].input[1]).shape == (1, 2, 1, 1)


def test_a_gemm_bias_per_row_is_no_channel_bias():
    """Gemm over two rows with C of shape [2, 1]: one bias per row, not per output."""
    chain = Chain([2, 6])
    wq = chain.weight_quant("Quant", floats([6, 4], seed=2), np.float32(0.25), 0.0, 4.0, **QUANT)
    chain.op("Gemm", wq, np.array([[0.5], [-1.0]], np.float32))
    after = check(chain.model([2, 4]), QuantWeightsToInteger(), integers([2, 6], -8, 9))
    assert op_types(after) == ["Quant", "Gemm"]


def test_a_gemm_bias_with_an_unknown_output_shape_stays():
    chain = Chain([1, 6])
    wq = chain.weight_quant("Quant", floats([6, 4], seed=2), np.float32(0.25), 0.0, 4.0, **QUANT)
    gemm = chain.op("Gemm", wq, np.ones(4, np.float32)).head
    model = chain.op("Relu").model([1, 4])
    model.graph.value_info.remove(model.get_tensor_valueinfo(gemm))
    assert QuantWeightsToInteger().apply(model)[1] is False
