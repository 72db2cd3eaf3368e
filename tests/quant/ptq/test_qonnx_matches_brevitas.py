"""Issue 12 item 4: the exported QONNX, executed by qonnx, equals the Brevitas forward.

Integer outputs (the final 8-bit requantizer) must give the same integer codes on every
calibration sample; float outputs agree to 1e-5 relative. With 1-bit activations an exact
integer accumulator of 0 (common with binary inputs and weights: a sum of +-1 terms) is a tie
that float rounding in torch and in onnxruntime sends to either side of the sign, so the 1-bit
activation scheme is checked with float biases (generic accumulators); samples that still tie
are skipped and must be a minority.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.quant.ptq.export import export_qonnx
from qnnflow.quant.ptq.mixed import LayerRule
from qnnflow.quant.ptq.options import PTQOptions

from .nets import quantized

SCHEMES = {
    "int8_tensor": PTQOptions(weight_granularity="tensor"),
    "int8_channel": PTQOptions(),
    "po2": PTQOptions(scale="po2"),
    "w4a4": PTQOptions(weight_bits=4, act_bits=4),
    "w2a2": PTQOptions(weight_bits=2, act_bits=2),
    "w1a3": PTQOptions(weight_bits=1, act_bits=3),
    "w1a1": PTQOptions(weight_bits=1, act_bits=1, bias_bits=None),
    "asymmetric": PTQOptions(weight_bits=4, act_bits=4, act_symmetric=False),
    "bias16": PTQOptions(bias_bits=16),
    "bias_float": PTQOptions(weight_bits=4, act_bits=4, bias_bits=None),
    "entropy_w4a3": PTQOptions(weight_bits=4, act_bits=3, calib_method="entropy"),
    "percentile_w4a4": PTQOptions(weight_bits=4, act_bits=4, calib_method="percentile"),
    "mse_w4a4": PTQOptions(weight_bits=4, act_bits=4, calib_method="mse"),
    "signed_acts_float_out": PTQOptions(act_sign="signed", output_bits=None),
}
MIXED = {
    "cnn": (LayerRule("conv1", None, None, True), LayerRule("conv2", 2, 3, False)),
    "resnet": (LayerRule("block_conv1", None, None, True), LayerRule("head", 8, 6, False)),
    "mlp": (LayerRule("fc2", None, None, True), LayerRule("fc*", 3, 5, False)),
}
NETS = ("cnn", "resnet", "mlp")
# the default run covers the schemes once, every net several times; slow runs all pairs
EXTRA = ("percentile_w4a4", "mse_w4a4", "signed_acts_float_out")
DEFAULT = {name: NETS[i % 3] for i, name in enumerate(SCHEMES) if name not in EXTRA}


def _has_tie(model, x: np.ndarray) -> bool:
    """Does a 1-bit activation (BipolarQuant on a computed tensor) see an exact-zero input?"""
    context = execute_onnx(model, {model.graph.input[0].name: x}, return_full_exec_context=True)
    for node in model.graph.node:
        if node.op_type == "BipolarQuant" and model.get_initializer(node.input[0]) is None:
            if np.any(np.abs(context[node.input[0]]) < 1e-6):
                return True
    return False


def check_qonnx_equals_brevitas(kind: str, options: PTQOptions, tmp_path) -> None:
    fm, qmodule, data = quantized(kind, options)
    model = export_qonnx(qmodule, fm.input_shape, tmp_path / f"{kind}.onnx")
    x = torch.cat(data)
    with torch.no_grad():
        expected = qmodule(x)
    out_quant = qmodule.get_submodule(str(list(qmodule.graph.nodes)[-1].args[0].target))
    integer_out = hasattr(out_quant, "act_quant")
    scale = out_quant.act_quant.scale().item() if integer_out else None
    expected = expected.numpy()
    binary_acts = options.act_bits == 1
    compared = 0
    for i in range(x.shape[0]):
        sample = x[i : i + 1].numpy()
        if binary_acts and _has_tie(model, sample):
            continue
        got = execute_onnx(model, {model.graph.input[0].name: sample})[model.graph.output[0].name]
        if integer_out:
            np.testing.assert_array_equal(
                np.round(got / scale), np.round(expected[i : i + 1] / scale)
            )
            assert np.abs(got - expected[i : i + 1]).max() == 0.0
        else:
            np.testing.assert_allclose(got, expected[i : i + 1], rtol=1e-5, atol=1e-6)
        compared += 1
    assert compared > x.shape[0] // 2


@pytest.mark.parametrize("scheme", list(DEFAULT))
def test_qonnx_equals_brevitas(scheme, tmp_path):
    options = SCHEMES[scheme]
    kind = DEFAULT[scheme]
    if scheme == "w1a1" and kind == "resnet":
        kind = "cnn"
    check_qonnx_equals_brevitas(kind, options, tmp_path)


@pytest.mark.parametrize("kind", NETS)
def test_qonnx_equals_brevitas_mixed_with_a_float_layer(kind, tmp_path):
    check_qonnx_equals_brevitas(
        kind, PTQOptions(weight_bits=4, act_bits=4, rules=MIXED[kind]), tmp_path
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", NETS)
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_qonnx_equals_brevitas_every_net(scheme, kind, tmp_path):
    if scheme == "w1a1" and kind == "resnet":
        pytest.skip("1-bit activations cannot meet at an add (see test_quantize)")
    check_qonnx_equals_brevitas(kind, SCHEMES[scheme], tmp_path)
