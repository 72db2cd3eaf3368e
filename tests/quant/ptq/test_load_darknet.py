"""Darknet cfgs (Darknet's own yolov2-tiny and yolov3-tiny, random weights) -> GraphModule:
equal to onnxruntime on the imported ONNX, two outputs for YOLOv3-tiny, conv layers named
lNNN_conv, quantizable by Brevitas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from brevitas import nn as qnn
from brevitas.graph.quantize import preprocess_for_quantize, quantize
from torch import nn

from qnnflow.frontend.darknet import import_darknet, load_network, write_weights
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.quant.ptq.load import load_float_model
from tests.quant.ptq.compare import max_diff, outputs

CFGS = Path(__file__).parents[2] / "frontend" / "darknet" / "cfgs"
SIZE = (64, 96)


def _with_weights(name: str, tmp_path: Path) -> tuple[Path, Path]:
    cfg = CFGS / f"{name}.cfg"
    network = load_network(cfg, SIZE)
    weights = tmp_path / f"{name}.weights"
    write_weights(weights, random_weights(network, seed=3), network)
    return cfg, weights


@pytest.mark.parametrize(("name", "heads"), [("yolov2-tiny", 1), ("yolov3-tiny", 2)])
def test_darknet_cfg_equals_onnxruntime_and_quantizes(name, heads, tmp_path):
    import onnxruntime as ort

    cfg, weights = _with_weights(name, tmp_path)
    fm = load_float_model(cfg, weights=weights, input_size=SIZE)
    assert fm.kind == "darknet" and fm.input_shape == (1, 3, *SIZE)
    assert "qnnflow.darknet.heads" in fm.metadata
    onnx_model = import_darknet(cfg, weights, SIZE).model
    session = ort.InferenceSession(onnx_model.SerializeToString())
    x = np.random.default_rng(0).uniform(0, 1, fm.input_shape).astype(np.float32)
    want = session.run(None, {"input": x})
    got = outputs(fm.module, x)
    assert len(got) == heads
    scale = max(float(np.abs(w).max()) for w in want)
    assert max_diff(got, want) <= 1e-5 * max(1.0, scale)
    modules = dict(fm.module.named_children())
    assert isinstance(modules["l000_conv"], nn.Conv2d)
    assert isinstance(modules["l000_conv_bn"], nn.BatchNorm2d)
    assert isinstance(modules["l000_conv_leakyrelu"], nn.LeakyReLU)
    convs = {n for n, m in modules.items() if isinstance(m, nn.Conv2d)}
    assert len(convs) == {"yolov2-tiny": 9, "yolov3-tiny": 13}[name]
    if name != "yolov3-tiny":
        return  # quantizing one of the two covers route/concat, upsample and two outputs
    qmodel = quantize(preprocess_for_quantize(fm.module))  # (merges BN into fm's convs)
    assert convs == {n for n, m in qmodel.named_children() if isinstance(m, qnn.QuantConv2d)}
    with torch.no_grad():
        small, large = qmodel(torch.rand(2, *fm.input_shape[1:]))
    assert small.shape == (2, 255, 2, 3) and large.shape == (2, 255, 4, 6)
