"""Short QAT runs on a tiny cfg: the loss falls, runs repeat exactly, the result exports."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.errors import QnnflowError
from qnnflow.quant.qat.darknet_io import build_from_darknet
from qnnflow.quant.qat.dataset import load_detection_set, read_labels
from qnnflow.quant.qat.export import export_qat_qonnx
from qnnflow.quant.qat.scheme import QatScheme
from qnnflow.quant.qat.trainer import TrainOptions, train
from tests.quant.qat.synthetic_data import write_dataset
from tests.quant.qat.tiny_cfgs import W1A3_CFG, write_cfg

torch.set_num_threads(1)


def _run(tmp_path, seed=0, epochs=8):
    cfg = write_cfg(tmp_path, W1A3_CFG)
    _, model = build_from_darknet(cfg, None, QatScheme("w1a3"), seed=seed)
    data = load_detection_set(tmp_path / "data", "train", 16, 16, classes=2)
    opts = TrainOptions(epochs=epochs, batch=8, lr=3e-3, seed=seed, device="cpu")
    return model, train(model, data, opts)


def test_qat_loss_falls_repeats_and_exports(tmp_path):
    write_dataset(tmp_path / "data", 32)
    model, result = _run(tmp_path)
    losses = [e["total"] for e in result.epochs]
    assert losses[-1] < 0.7 * losses[0], losses
    _, again = _run(tmp_path)
    assert [e["total"] for e in again.epochs] == losses
    exported = export_qat_qonnx(model, tmp_path / "qat.onnx")
    x = np.random.default_rng(1).random((1, 3, 16, 16), dtype=np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    got = execute_onnx(exported, {exported.graph.input[0].name: x})
    np.testing.assert_allclose(got[exported.graph.output[0].name], ref, atol=1e-5, rtol=0)


def test_labels_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n")
    with pytest.raises(QnnflowError, match=r"bad.txt:2: .*class < 2"):
        read_labels(bad, 2)
    with pytest.raises(QnnflowError, match="neither train.txt"):
        load_detection_set(tmp_path, "train", 16, 16, 2)
