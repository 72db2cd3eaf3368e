"""QAT restarted from W1A3 weights keeps the activation clips those weights were trained
with (from train.json or the QAT export), instead of re-calibrating them."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.commands.train import train_cmd
from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet import load_network
from qnnflow.quant.qat.clips import CLIPS_KEY, clips_from_qonnx, clips_of, find_start_clips
from qnnflow.quant.qat.darknet_io import build_from_darknet
from qnnflow.quant.qat.pipeline import calibrate_act_max, quantized_start
from qnnflow.quant.qat.scheme import QatScheme
from tests.quant.qat.synthetic_data import write_dataset
from tests.quant.qat.tiny_cfgs import W1A3_CFG, write_cfg

torch.set_num_threads(1)


def _start(cfg, weights, images):
    _, float_model = build_from_darknet(cfg, weights, QatScheme("float"))
    return quantized_start(cfg, weights, QatScheme("w1a3"), float_model, images)


def test_default_w1a3_weights_restart_with_their_qat_clips(default_cfg):
    """The committed W1A3 weights + the clips read back from the committed QAT export are
    the exported network: same outputs as the QONNX on an image."""
    weights = default_cfg.with_suffix(".weights")
    export = default_cfg.with_name("tinier-yolo-mini-w1a3.onnx")
    clips, source = find_start_clips(weights, load_network(default_cfg))
    assert source == str(export)
    hidden = [layer.index for layer in load_network(default_cfg).conv_layers[:-1]]
    assert sorted(clips) == hidden and all(0.5 < v < 10 for v in clips.values())
    x = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    model, start, how = _start(default_cfg, weights, x)
    assert how == str(export) and clips_of(model) == start == clips
    model.eval()
    with torch.no_grad():
        ours = model(torch.from_numpy(x)).numpy()
    from qonnx.core.modelwrapper import ModelWrapper

    reference = ModelWrapper(str(export))
    theirs = execute_onnx(reference, {reference.graph.input[0].name: x})
    np.testing.assert_allclose(ours, theirs[reference.graph.output[0].name], atol=1e-5)


def test_float_weights_still_calibrate(default_cfg):
    weights = default_cfg.with_name("tinier-yolo-mini-float.weights")
    assert find_start_clips(weights, load_network(default_cfg)) == ({}, "")


@pytest.fixture(scope="module")
def w1a3_run(tmp_path_factory):
    """A tiny cfg trained one epoch as W1A3 (clips moved away from their calibration)."""
    root = tmp_path_factory.mktemp("clips")
    cfg = write_cfg(root, W1A3_CFG)
    write_dataset(root / "data", 16)
    args = ["--cfg", cfg, "--data", root / "data", "--epochs", "1", "--batch", "8"]
    result = CliRunner().invoke(train_cmd, [str(a) for a in args] + ["-o", str(root / "w1a3")])
    assert result.exit_code == 0, result.output
    return root


def test_restart_from_w1a3_keeps_the_learned_clips(w1a3_run, tmp_path):
    out = tmp_path / "w1a3"
    shutil.copytree(w1a3_run / "w1a3", out)
    record = json.loads((out / "tiny.train.json").read_text())
    learned = {int(k): v for k, v in record[CLIPS_KEY].items()}
    assert record["initial_act_max_from"] == "calibrated"
    assert learned != record["initial_act_max"]  # training moved them
    images = np.random.default_rng(1).random((4, 3, 16, 16), dtype=np.float32)
    model, start, how = _start(out / "tiny.cfg", out / "tiny.weights", images)
    assert how == str(out / "tiny.train.json")
    assert clips_of(model) == start == learned
    # what the old code did: calibrating on the float forward gives other clips
    _, float_model = build_from_darknet(out / "tiny.cfg", out / "tiny.weights", QatScheme("float"))
    assert calibrate_act_max(float_model, images) != learned
    # the export carries them too, and its Quant scales give the same values
    network = load_network(out / "tiny.cfg")
    assert clips_from_qonnx(out / "tiny.onnx", network) == learned
    record.pop(CLIPS_KEY)
    (out / "tiny.train.json").write_text(json.dumps(record))
    assert find_start_clips(out / "tiny.weights", network) == (learned, str(out / "tiny.onnx"))
    record[CLIPS_KEY] = {"0": 1.0}  # clips of another cfg: refused, not silently defaulted
    (out / "tiny.train.json").write_text(json.dumps(record))
    with pytest.raises(QnnflowError, match=r"clips for conv layers \[0\], but .* \[0, 2, 4\]"):
        _start(out / "tiny.cfg", out / "tiny.weights", images)


def test_train_command_restarts_with_the_clips(w1a3_run):
    source = w1a3_run / "w1a3"
    learned = json.loads((source / "tiny.train.json").read_text())[CLIPS_KEY]
    args = ["--cfg", source / "tiny.cfg", "--weights", source / "tiny.weights"]
    args += ["--data", w1a3_run / "data", "--epochs", "1", "--batch", "8"]
    out = w1a3_run / "again"
    result = CliRunner().invoke(train_cmd, [str(a) for a in args] + ["-o", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "tiny.train.json").read_text())
    assert record["initial_act_max_from"] == str(source / "tiny.train.json")
    assert {str(k): v for k, v in record["initial_act_max"].items()} == learned
