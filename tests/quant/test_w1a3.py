"""W1A3 quantization of an imported Darknet model: node placement, Darknet binary semantics,
calibrated activation grids, refusals with the cfg line, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.frontend.darknet import import_darknet
from qnnflow.frontend.darknet.cfg_reader import parse_cfg_text
from qnnflow.frontend.darknet.parse_network import build_network
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.frontend.darknet.to_onnx import network_to_onnx
from qnnflow.quant.w1a3 import QUANT_REPORT_KEY, quantize_w1a3


def calib(n=3, size=64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.random((1, 3, size, size), dtype=np.float32) for _ in range(n)]


@pytest.fixture
def float_model(default_cfg):
    return import_darknet(default_cfg, default_cfg.with_suffix(".weights"), (64, 64))


def test_nodes_and_report(float_model):
    q = quantize_w1a3(float_model, calib())
    ops = [n.op_type for n in q.graph.node]
    assert ops.count("BipolarQuant") == 7
    assert ops.count("Quant") == 2 + 8 + 1  # conv0/conv8 weights, 8 activations, input
    report = json.loads(q.get_metadata_prop(QUANT_REPORT_KEY))
    acts = [r for r in report if r["kind"] == "activation"]
    assert len(acts) == 8 and all(r["bits"] == 3 and r["range"][1] > 0 for r in acts)


def test_binary_weights_follow_darknet_including_zero(float_model):
    node = next(n for n in float_model.graph.node if n.name == "l001_conv_mac")
    w = float_model.get_initializer(node.input[1]).copy()
    w[0, 0, 0, 0] = 0.0
    float_model.set_initializer(node.input[1], w)
    q = quantize_w1a3(float_model, calib(1))
    quant = next(n for n in q.graph.node if n.name == "l001_conv_mac_wquant")
    out = execute_onnx(q, {"input": calib(1)[0]}, return_full_exec_context=True)
    binarized = out[quant.output[0]]
    mean = np.abs(w).reshape(w.shape[0], -1).mean(1)[:, None, None, None]
    np.testing.assert_allclose(binarized, np.where(w > 0, mean, -mean), rtol=1e-6)
    assert binarized[0, 0, 0, 0] < 0  # Darknet maps an exact zero to -mean|w|


def test_activations_land_on_the_3bit_grid(float_model):
    q = quantize_w1a3(float_model, calib())
    report = {r["tensor"]: r for r in json.loads(q.get_metadata_prop(QUANT_REPORT_KEY))}
    quant = next(n for n in q.graph.node if n.input[0] == "l001_conv")
    out = execute_onnx(q, {"input": calib(1, seed=5)[0]}, return_full_exec_context=True)
    codes = out[quant.output[0]] / report["l001_conv"]["scale"]
    np.testing.assert_allclose(codes, np.round(codes), atol=1e-4)
    assert codes.min() >= 0 and codes.max() <= 7


@pytest.mark.parametrize("method", ["minmax", "percentile", "entropy", "mse"])
def test_deterministic_per_method(float_model, method):
    a = quantize_w1a3(float_model, calib(), method=method)
    b = quantize_w1a3(float_model, calib(), method=method)
    assert a.get_metadata_prop(QUANT_REPORT_KEY) == b.get_metadata_prop(QUANT_REPORT_KEY)


def test_leaky_relu_is_quantized_to_signed_codes_and_relu_unsigned():
    text = (
        "[net]\nwidth=16\nheight=16\nchannels=3\n"
        "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=relu\n"
        "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\nbinary=1\n"
        "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"
    )
    net = build_network(parse_cfg_text(text, "leaky.cfg"))
    from qonnx.core.modelwrapper import ModelWrapper

    model = ModelWrapper(network_to_onnx(net, random_weights(net)))
    report = json.loads(quantize_w1a3(model, calib(1, size=16)).get_metadata_prop(QUANT_REPORT_KEY))
    acts = {r["tensor"]: r for r in report if r["kind"] == "activation"}
    assert acts["l000_conv"]["levels"] == [0, 7] and acts["l001_conv"]["levels"] == [-4, 3]


def test_first_last_left_float(float_model):
    q = quantize_w1a3(float_model, calib(), first_last_bits=None)
    assert [n.op_type for n in q.graph.node].count("Quant") == 8
