"""Structure of the converted graph: metadata, heads, BN forms, max-pool pads, binarization."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qnnflow.frontend.darknet import HEADS_KEY, import_darknet, layer_outputs, load_network
from qnnflow.frontend.darknet.cfg_reader import parse_cfg_text
from qnnflow.frontend.darknet.parse_network import build_network
from qnnflow.frontend.darknet.to_onnx import binarize_per_filter
from qnnflow.util.execute import max_relative_error, run_onnxruntime


@pytest.fixture
def default_model(default_cfg):
    return import_darknet(default_cfg, default_cfg.with_suffix(".weights"), (96, 96))


def test_metadata_records_every_layer_and_the_region_head(default_model):
    records = layer_outputs(default_model)
    assert [r["type"] for r in records][-2:] == ["convolutional", "region"]
    assert len(records) == 15
    assert records[14]["output"] == records[13]["output"] == "l013_conv"
    assert records[1]["binary"] is True and records[0]["binary"] is False
    heads = json.loads(default_model.get_metadata_prop(HEADS_KEY))
    assert heads == [
        {
            "index": 14,
            "type": "region",
            "output": "l013_conv",
            "shape": [45, 3, 3],
            "anchors": [0.6, 0.6, 1.2, 1.0, 1.0, 2.0, 2.2, 1.6, 3.5, 3.2],
            "classes": 4,
            "coords": 4,
            "num": 5,
            "softmax": True,
            "names": ["circle", "rectangle", "triangle", "ellipse"],  # from the .names file
        }
    ]
    assert [o.name for o in default_model.graph.output] == ["l013_conv"]


def test_fold_bn_is_equivalent_and_removes_batchnorm(default_cfg):
    weights = default_cfg.with_suffix(".weights")
    explicit = import_darknet(default_cfg, weights, (64, 64))
    folded = import_darknet(default_cfg, weights, (64, 64), fold_bn=True)
    ops = {n.op_type for n in folded.graph.node}
    assert "BatchNormalization" not in ops
    assert "BatchNormalization" in {n.op_type for n in explicit.graph.node}
    x = np.random.default_rng(0).random((1, 3, 64, 64), dtype=np.float32)
    a, b = run_onnxruntime(explicit, x)["l013_conv"], run_onnxruntime(folded, x)["l013_conv"]
    assert max_relative_error(b, a) < 1e-5


def test_batchnorm_encodes_darknet_epsilon_on_the_std(default_model, default_cfg):
    from qnnflow.frontend.darknet import read_weights

    network = load_network(default_cfg, (96, 96))
    params = read_weights(default_cfg.with_suffix(".weights"), network).layers[0]
    bn = next(n for n in default_model.graph.node if n.op_type == "BatchNormalization")
    assert next(a.f for a in bn.attribute if a.name == "epsilon") == 0.0
    var = default_model.get_initializer(bn.input[4])
    expected = (np.sqrt(params.rolling_variance.astype(np.float64)) + 1e-6) ** 2
    np.testing.assert_allclose(var, expected, rtol=1e-6)


def test_stride1_maxpool_pads_right_and_bottom_only(default_model):
    pools = [n for n in default_model.graph.node if n.op_type == "MaxPool"]
    pads = {n.name: list(next(a.ints for a in n.attribute if a.name == "pads")) for n in pools}
    assert pads["l010_maxpool"] == [0, 0, 1, 1]
    assert pads["l002_maxpool"] == [0, 0, 0, 0]


def test_odd_size_stride2_maxpool_adds_a_right_bottom_window():
    text = "[net]\nwidth=7\nheight=5\nchannels=1\n[maxpool]\nsize=2\nstride=2\n"
    layer = build_network(parse_cfg_text(text)).layers[0]
    assert layer.out_shape == (1, 3, 4)
    assert layer.pads == (0, 0, 1, 1)


def test_binarize_per_filter_maps_zero_to_minus_mean():
    w = np.array([[[[0.5]], [[-1.5]], [[0.0]]]], dtype=np.float32)  # one filter, 3 inputs
    out = binarize_per_filter(w)
    np.testing.assert_allclose(out.ravel(), [2 / 3, -2 / 3, -2 / 3], rtol=1e-6)


def test_binary_mode_darknet_changes_binary_layers_only(default_cfg):
    weights = default_cfg.with_suffix(".weights")
    flt = import_darknet(default_cfg, weights, (64, 64))
    dark = import_darknet(default_cfg, weights, (64, 64), binary_mode="darknet")
    w0f, w0d = (m.get_initializer("l000_conv_W") for m in (flt, dark))
    np.testing.assert_array_equal(w0f, w0d)  # conv0 is not binary
    w1 = dark.get_initializer("l001_conv_W")
    assert np.all(
        np.abs(np.abs(w1) - np.abs(w1).reshape(16, -1).max(1)[:, None, None, None]) < 1e-7
    )
    with pytest.raises(ValueError, match="binary_mode"):
        import_darknet(default_cfg, weights, (64, 64), binary_mode="xnor")
