"""`qnnflow quantize` runs the build's import, tidy and quantize steps with the build's
defaults: its model computes what the build's quantize step saves, with the same report."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.commands.quantize import quantize_cmd
from qnnflow.flow import BuildConfig, run_build
from qnnflow.util.execute import run_qonnx
from tests.flow.test_runner import _calib_dir


def test_quantize_command_equals_the_build_quantize_step(default_cfg, tmp_path):
    calib = _calib_dir(tmp_path)
    cfg = BuildConfig(
        model=default_cfg,
        output_root=tmp_path / "build",
        calib_dir=calib,
        input_size=(64, 64),
        to_step="quantize",
    )
    run_build(cfg)
    built = ModelWrapper(str(next(cfg.output_dir.glob("[0-9][0-9]_quantize.onnx"))))
    build_report = json.loads((cfg.output_dir / "quantize.json").read_text())

    out = tmp_path / "q.onnx"
    args = ["--model", str(default_cfg), "--calib-dir", str(calib), "--input-size", "64x64"]
    result = CliRunner().invoke(quantize_cmd, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.with_suffix(".quant.json").read_text())
    assert report["tensors"] == build_report["tensors"]
    assert report["method"] == build_report["method"] == "percentile"
    assert report["calibration_images"] == build_report["calibration_images"] == 3

    quantized = ModelWrapper(str(out))
    x = np.random.default_rng(0).random((1, 3, 64, 64), dtype=np.float32)
    got, want = run_qonnx(quantized, x), run_qonnx(built, x)
    assert sorted(got) == sorted(want)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])


def test_a_hardware_level_model_is_refused_by_node(tmp_path):
    """A model of the compiler's own ops is no float model: the PTQ loader names the node."""
    onnx_model = tmp_path / "q.onnx"
    from qnnflow.frontend.binparams import hidden_layers_model
    from tests.transforms.fold.test_folding import small_params

    hidden_layers_model(small_params()).save(str(onnx_model))
    args = ["--model", str(onnx_model), "--calib-dir", str(_calib_dir(tmp_path))]
    result = CliRunner().invoke(quantize_cmd, [*args, "-o", str(tmp_path / "out.onnx")])
    assert result.exit_code != 0
    assert str(result.exception).startswith(
        f"{onnx_model}: nothing to quantize (already quantized: node 'conv1_pad' is a ZeroPad"
    )
    assert not (tmp_path / "out.onnx").exists()


def test_a_float_onnx_we_did_not_write_goes_through_brevitas(tmp_path):
    """A float ONNX (not a binary=1 Darknet cfg) takes the Brevitas PTQ path, int8 by default;
    its calibration images are stretched to the model's input."""
    from tests.frontend.onnx_import.models import small_cnn

    onnx_model = tmp_path / "float.onnx"
    onnx_model.write_bytes(small_cnn().SerializeToString())
    out = tmp_path / "out.onnx"
    args = ["--model", str(onnx_model), "--calib-dir", str(_calib_dir(tmp_path))]
    result = CliRunner().invoke(quantize_cmd, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    info = json.loads(out.with_suffix(".quant_info.json").read_text())
    assert info["scheme"] == "w8a8" and info["calibration_samples"] == 3
    assert not out.with_suffix(".quant.json").exists()  # the W1A3 report is not written
