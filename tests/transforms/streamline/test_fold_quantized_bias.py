"""FoldQuantizedBias: Conv/Gemm(x, W, Quant(b)) -> Conv/Gemm(x, W, b_q), b_q the Quant's output."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from qnnflow.transforms.streamline import FoldQuantizedBias, QuantWeightsToInteger
from qnnflow.transforms.streamline.patterns import QONNX_DOMAIN
from tests.transforms.streamline.graphs import Chain, check, floats, integers, op_types

BIAS = np.array([0.31, -1.7, 2.05, 0.0], np.float32)
BIAS_SCALE = np.float32(0.0625)  # Brevitas: input scale x weight scale
QUANT_ATTRS = {"signed": 1, "narrow": 0, "rounding_mode": "ROUND"}


def _bias_quant(chain: Chain, bits: float = 32.0) -> str:
    """A Quant on the constant BIAS (Int32Bias as brevitas exports it)."""
    inputs = [chain.builder.const("b_float", BIAS)]
    inputs += [chain.builder.const(f"bq_p{i}", p) for i, p in enumerate((BIAS_SCALE, 0.0, bits))]
    return chain.builder.node("Quant", inputs, "b_quant", domain=QONNX_DOMAIN, **QUANT_ATTRS)


def _conv(bits: float = 32.0):
    chain = Chain([1, 3, 5, 5])
    scale = np.array([0.25, 0.5, 0.125, 1.0], np.float32).reshape(4, 1, 1, 1)
    wq = chain.weight_quant("Quant", floats([4, 3, 3, 3], seed=1), scale, 0.0, 4.0, **QUANT_ATTRS)
    bq = _bias_quant(chain, bits)
    chain.op("Conv", wq, bq, kernel_shape=[3, 3], pads=[1] * 4)
    return chain.model([1, 4, 5, 5])


def _conv_bias(model) -> np.ndarray:
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    return model.get_initializer(conv.input[2])


def test_a_quantized_conv_bias_becomes_its_rounded_constant():
    after = check(_conv(), FoldQuantizedBias(), floats([1, 3, 5, 5], seed=2))
    assert op_types(after) == ["Quant", "Conv"]  # the weight quantizer stays
    assert np.array_equal(_conv_bias(after), np.round(BIAS / BIAS_SCALE) * BIAS_SCALE)


def test_a_narrow_bias_quantizer_clips():
    """A 4-bit signed bias code saturates at -8 and 7: the folded constant says so."""
    after = check(_conv(bits=4.0), FoldQuantizedBias(), floats([1, 3, 5, 5], seed=3))
    codes = np.clip(np.round(BIAS / BIAS_SCALE), -8, 7)
    assert np.array_equal(_conv_bias(after), codes * BIAS_SCALE)


def test_with_the_bias_folded_the_weights_become_integers():
    """Without the fold QuantWeightsToInteger leaves a layer with a computed bias alone."""
    x = integers([1, 3, 5, 5], -8, 9)
    assert op_types(check(_conv(), QuantWeightsToInteger(), x)) == ["Quant", "Quant", "Conv"]
    folded = check(_conv(), FoldQuantizedBias(), x)
    assert op_types(check(folded, QuantWeightsToInteger(), x)) == ["Conv", "Mul", "Add"]


def test_a_gemm_bias_folds():
    chain = Chain([1, 6])
    wq = chain.weight_quant(
        "Quant", floats([4, 6], seed=4), np.float32(0.25), 0.0, 8.0, **QUANT_ATTRS
    )
    chain.op("Gemm", wq, _bias_quant(chain), transB=1)
    after = check(chain.model([1, 4]), FoldQuantizedBias(), floats([1, 6], seed=5))
    assert op_types(after) == ["Quant", "Gemm"]


def test_a_quantized_constant_read_elsewhere_too_stays():
    """The same Quant feeding a Conv's bias and a Relu is no bias-only constant: unchanged."""
    model = _conv()
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    model.graph.node.append(helper.make_node("Relu", [conv.input[2]], ["b_relu"], name="relu"))
    model.graph.output.append(helper.make_tensor_value_info("b_relu", TensorProto.FLOAT, [4]))
    after = check(model, FoldQuantizedBias(), floats([1, 3, 5, 5], seed=6))
    assert op_types(after) == ["Quant", "Quant", "Conv", "Relu"]


def test_bias_quantizers_after_other_nodes_fold_under_derived_names():
    """In order: a Relu, an activation Quant (a run-time input), then a Quant and a
    BipolarQuant on two layers' biases: both fold, named after the quantizer (or its output
    when it has no name)."""
    chain = Chain([1, 3, 5, 5]).op("Relu")
    chain.op("Quant", np.float32(0.5), np.float32(0), np.float32(4), qonnx=True, **QUANT_ATTRS)
    weights = integers([4, 3, 3, 3], -2, 3, seed=1)
    bq = _bias_quant(chain)
    chain.op("Conv", weights, bq, kernel_shape=[3, 3], pads=[1] * 4)
    bipolar_in = [chain.builder.const("bb", BIAS), chain.builder.const("bb_s", np.float32(0.5))]
    bb = chain.builder.node("BipolarQuant", bipolar_in, "bb_quant", domain=QONNX_DOMAIN)
    chain.op("Conv", integers([4, 4, 1, 1], -2, 3, seed=2), bb, kernel_shape=[1, 1])
    model = chain.model([1, 4, 5, 5])
    for node in model.graph.node:
        node.name = {"b_quant": "bias_quantizer", "bb_quant": ""}.get(node.name, node.name)
    assert FoldQuantizedBias().apply(model)[1] is True
    assert op_types(model) == ["Relu", "Quant", "Conv", "Conv"]
    first, second = (n for n in model.graph.node if n.op_type == "Conv")
    assert first.input[2] == "bias_quantizer_bias"
    assert second.input[2] == "bb_quant_bias"
    assert np.array_equal(model.get_initializer(second.input[2]), np.where(BIAS < 0, -0.5, 0.5))
    again = FoldQuantizedBias().apply(model)
    assert again[1] is False


@pytest.mark.parametrize("also_output", [True, False])
def test_a_bias_quantizer_that_is_a_graph_output_or_unread_stays(also_output):
    model = _conv()
    quant = next(n for n in model.graph.node if n.name == "b_quant")
    if also_output:
        info = [v for v in model.graph.value_info if v.name == "b_quant"]
        for v in info:
            model.graph.value_info.remove(v)
        model.graph.output.append(helper.make_tensor_value_info("b_quant", TensorProto.FLOAT, [4]))
    else:  # the conv reads a plain constant instead: the quantizer has no reader
        conv = next(n for n in model.graph.node if n.op_type == "Conv")
        conv.input[2] = "b_float"
    after = check(model, FoldQuantizedBias(), floats([1, 3, 5, 5], seed=6))
    assert "Quant" in op_types(after)[:2] and quant.output[0] in [
        o for n in after.graph.node for o in n.output
    ]
