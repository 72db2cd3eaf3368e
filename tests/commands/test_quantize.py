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


def test_nothing_to_quantize_is_one_clear_error(tmp_path):
    onnx_model = tmp_path / "q.onnx"
    from qnnflow.frontend.binparams import hidden_layers_model
    from tests.transforms.fold.test_folding import small_params

    hidden_layers_model(small_params()).save(str(onnx_model))
    args = ["--model", str(onnx_model), "--calib-dir", str(_calib_dir(tmp_path))]
    result = CliRunner().invoke(quantize_cmd, [*args, "-o", str(tmp_path / "out.onnx")])
    assert result.exit_code != 0
    assert "nothing to quantize" in str(result.exception)
    assert not (tmp_path / "out.onnx").exists()


def test_a_float_onnx_is_quantized_with_brevitas(tmp_path):
    """A float ONNX (not a Darknet cfg) takes the PTQ path: int8 by default, QONNX out."""
    from tests.frontend.onnx_import.models import small_cnn

    onnx_model = tmp_path / "float.onnx"
    onnx_model.write_bytes(small_cnn().SerializeToString())
    out = tmp_path / "out.onnx"
    args = [str(onnx_model), "--calib-dir", str(_calib_dir(tmp_path)), "-o", str(out)]
    result = CliRunner().invoke(quantize_cmd, args)
    assert result.exit_code == 0, result.output
    quantized = ModelWrapper(str(out))
    bits = {
        int(quantized.get_initializer(n.input[3]))
        for n in quantized.graph.node
        if n.op_type == "Quant"
    }
    assert 8 in bits and bits <= {8, 32}
    info = json.loads(out.with_suffix(".quant_info.json").read_text())
    assert info["scheme"] == "w8a8" and info["calibration_samples"] == 3
