"""FoldQuantizedBias: Conv/Gemm(x, W, Quant(b)) -> Conv/Gemm(x, W, b_q), b_q the Quant's output."""

from __future__ import annotations

import numpy as np
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
