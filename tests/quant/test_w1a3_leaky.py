"""W1A3 on Darknet's own leaky detectors: leaky/linear layers get signed codes (-4..3), ReLU
layers unsigned ones, every conv feeding a [yolo]/[region] stays linear with first/last
weights, and the activations a [route] concatenates share one scale."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.errors import QnnflowError
from qnnflow.quant.w1a3 import QUANT_REPORT_KEY, activation_range, grid_scale, quantize_w1a3
from tests.quant.darknet_models import SIGNED_CFG, cfg_model, images, yolo_model


def _report(model) -> list[dict]:
    return json.loads(model.get_metadata_prop(QUANT_REPORT_KEY))


def _acts(model) -> dict[str, dict]:
    return {r["tensor"]: r for r in _report(model) if r["kind"] == "activation"}


def _weight_bits(model) -> dict[str, int]:
    return {r["tensor"].split("_")[0]: r["bits"] for r in _report(model) if r["kind"] == "weight"}


@pytest.fixture(scope="module")
def v2():
    return quantize_w1a3(yolo_model("yolov2-tiny", 32), images(2, 32))


@pytest.fixture(scope="module")
def v3():
    return quantize_w1a3(yolo_model("yolov3-tiny", 32), images(2, 32))


def test_yolov2_tiny_leaky_layers_are_signed_and_the_head_linear(v2):
    acts = _acts(v2)
    hidden = [f"l{i:03d}_conv" for i in (0, 2, 4, 6, 8, 10, 12, 13)]
    assert sorted(acts) == hidden
    assert all(a["signed"] and a["levels"] == [-4, 3] and a["bits"] == 3 for a in acts.values())
    assert all(a["range"][0] < 0 < a["range"][1] for a in acts.values())
    bits = _weight_bits(v2)
    assert bits.pop("l000") == 8 and bits.pop("l014") == 8  # first conv and the head
    assert set(bits.values()) == {1}
    ops = [n.op_type for n in v2.graph.node]
    assert ops.count("BipolarQuant") == 7 and "l014_conv" not in acts


def test_yolov3_tiny_has_two_linear_heads_and_a_shared_route_scale(v3):
    acts = _acts(v3)
    assert "l015_conv" not in acts and "l022_conv" not in acts
    bits = _weight_bits(v3)
    assert bits["l000"] == bits["l015"] == bits["l022"] == 8
    assert sum(b == 1 for b in bits.values()) == 10
    # route 20 concatenates upsample(l018) and l008: one scale, named in both entries
    assert acts["l008_conv"]["scale"] == acts["l018_conv"]["scale"]
    assert acts["l008_conv"]["shared_scale_with"] == ["l018_conv"]
    assert acts["l018_conv"]["shared_scale_with"] == ["l008_conv"]
    own = [grid_scale(*acts[t]["range"], 3, True) for t in ("l008_conv", "l018_conv")]
    assert acts["l008_conv"]["scale"] == pytest.approx(max(own), rel=1e-6)
    assert own[0] != own[1]
    assert "shared_scale_with" not in acts["l013_conv"]  # route -4 is a fork: nothing shared


def test_the_concatenated_tensor_is_on_one_grid(v3):
    out = execute_onnx(v3, {"input": images(1, 32, seed=7)[0]}, return_full_exec_context=True)
    scale = _acts(v3)["l008_conv"]["scale"]
    codes = out["l020_route"] / np.float32(scale)
    np.testing.assert_allclose(codes, np.round(codes), atol=1e-5)
    assert codes.min() >= -4 and codes.max() <= 3


def test_codes_use_both_signs_with_linear_hidden_layers():
    size = 16
    q = quantize_w1a3(cfg_model(SIGNED_CFG), images(3, size))
    acts = _acts(q)
    out = execute_onnx(q, {"input": images(1, size, seed=9)[0]}, return_full_exec_context=True)
    quant = next(n for n in q.graph.node if n.input[0] == "l002_conv")
    codes = out[quant.output[0]] / np.float32(acts["l002_conv"]["scale"])
    np.testing.assert_allclose(codes, np.round(codes), atol=1e-5)
    assert codes.min() == -4 and codes.max() >= 2  # both signs, the negative side saturating


def test_relu_stays_unsigned_and_joins_a_signed_route_signed():
    text = SIGNED_CFG.replace("activation=linear", "activation=relu", 1)
    q = quantize_w1a3(cfg_model(text), images(2, 16))
    acts = _acts(q)
    assert not acts["l002_conv"]["signed"] and acts["l002_conv"]["levels"] == [0, 7]
    assert acts["l004_conv"]["signed"]


def test_signed_scale_covers_both_sides():
    samples = np.concatenate([np.linspace(0, 3.0, 1000), np.linspace(-2.0, 0, 1000)])
    low, high = activation_range(samples, "minmax", 3, True, 99.99)
    assert (low, high) == (-2.0, 3.0)
    assert grid_scale(low, high, 3, True) == pytest.approx(max(3.0 / 3, 2.0 / 4))
    assert grid_scale(-8.0, 3.0, 3, True) == pytest.approx(2.0)  # the negative side rules
    assert activation_range(np.linspace(0, 1, 10), "minmax", 3, True, 99.99) == (-0.0, 1.0)
    assert grid_scale(0.0, 0.0, 3, True) == 1.0


def test_logistic_before_a_quantizer_is_refused_with_its_cfg_line():
    text = SIGNED_CFG.replace("activation=linear", "activation=logistic", 1)
    lines = text.splitlines()
    line = [i for i, t in enumerate(lines) if t == "[convolutional]"][1] + 1  # layer 2
    with pytest.raises(QnnflowError, match=f"bad.cfg:{line}: layer 2 uses activation=logistic"):
        quantize_w1a3(cfg_model(text, "bad.cfg"), images(1, 16))


def test_a_route_of_the_raw_image_is_refused():
    text = SIGNED_CFG.replace("[maxpool]\nsize=2\nstride=1\n", "[route]\nlayers=-1,0\n", 1)
    with pytest.raises(QnnflowError, match="route"):
        quantize_w1a3(cfg_model(text, "r.cfg"), images(1, 16), first_last_bits=None)
