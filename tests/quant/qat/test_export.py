"""The QONNX export executes (qonnx) exactly like the Brevitas forward."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.frontend.darknet import HEADS_KEY
from qnnflow.quant.qat.darknet_io import build_from_darknet
from qnnflow.quant.qat.export import export_qat_qonnx
from qnnflow.quant.qat.scheme import QatScheme
from tests.quant.qat.tiny_cfgs import W1A3_CFG, write_cfg

torch.set_num_threads(1)


@pytest.mark.parametrize("first_last", [8, None], ids=["edges8bit", "edgesfloat"])
def test_export_equals_brevitas_forward(tmp_path, first_last):
    cfg = write_cfg(tmp_path, W1A3_CFG)
    _, model = build_from_darknet(cfg, None, QatScheme("w1a3", 3, first_last), seed=1)
    model.eval()
    exported = export_qat_qonnx(model, tmp_path / "m.onnx")
    ops = {n.op_type for n in exported.graph.node}
    assert {"BipolarQuant", "Quant", "Conv", "BatchNormalization", "MaxPool"} <= ops
    rng = np.random.default_rng(5)
    for _ in range(3):
        x = rng.random((1, 3, 16, 16), dtype=np.float32)
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        out = execute_onnx(exported, {exported.graph.input[0].name: x})
        got = out[exported.graph.output[0].name]
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5)
    heads = json.loads(exported.get_metadata_prop(HEADS_KEY))
    assert heads[0]["output"] == exported.graph.output[0].name
    assert heads[0]["anchors"] == [0.8, 0.8, 2.0, 1.5] and heads[0]["classes"] == 2
