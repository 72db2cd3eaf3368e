"""`qnnflow train` end to end on a tiny cfg and dataset (the command object, unregistered)."""

from __future__ import annotations

import json

import numpy as np
import torch
from click.testing import CliRunner

from qnnflow.commands.train import train_cmd
from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet import import_darknet
from qnnflow.util.execute import run_onnxruntime
from tests.quant.qat.synthetic_data import write_dataset
from tests.quant.qat.tiny_cfgs import W1A3_CFG, write_cfg

torch.set_num_threads(1)


def test_train_writes_weights_export_and_log(tmp_path):
    cfg = write_cfg(tmp_path, W1A3_CFG)
    write_dataset(tmp_path / "data", 16)
    args = ["--cfg", cfg, "--data", tmp_path / "data", "--scheme", "float", "--epochs", "2"]
    result = CliRunner().invoke(
        train_cmd, [str(a) for a in args] + ["--batch", "8", "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    log = json.loads((tmp_path / "out" / "tiny.train.json").read_text())
    assert len(log["epochs"]) == 2 and log["images"] == 16
    model = import_darknet(tmp_path / "out" / "tiny.cfg", tmp_path / "out" / "tiny.weights")
    x = np.random.default_rng(0).random((1, 3, 16, 16), dtype=np.float32)
    assert next(iter(run_onnxruntime(model, x).values())).shape == (1, 14, 4, 4)
    assert (tmp_path / "out" / "tiny.onnx").is_file()


def test_train_missing_dataset_is_a_user_error(tmp_path):
    cfg = write_cfg(tmp_path, W1A3_CFG)
    result = CliRunner().invoke(
        train_cmd, ["--cfg", str(cfg), "--data", str(tmp_path / "nope"), "-o", str(tmp_path)]
    )
    assert isinstance(result.exception, QnnflowError)
    assert "dataset folder not found" in str(result.exception)
    assert not (tmp_path / "tiny.weights").exists()
