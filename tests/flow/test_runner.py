"""The build runner: one ONNX per step, resume, --from-step/--to-step, clear errors."""

from __future__ import annotations

import json

import pytest

from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig, run_build, tool_free_step_names
from qnnflow.toolchain import find_tool


def _calib_dir(tmp_path):
    """Three small deterministic images, enough to calibrate the default model in tests."""
    import numpy as np
    from PIL import Image

    folder = tmp_path / "calib"
    if not folder.is_dir():
        folder.mkdir()
        rng = np.random.default_rng(0)
        for i in range(3):
            pixels = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{i}.png")
    return folder


def _cfg(default_cfg, tmp_path, **kw) -> BuildConfig:
    kw.setdefault("input_size", (64, 64))
    return BuildConfig(
        model=default_cfg, output_root=tmp_path / "out", calib_dir=_calib_dir(tmp_path), **kw
    )


def test_full_build_writes_one_onnx_per_step_and_report(default_cfg, tmp_path):
    result = run_build(_cfg(default_cfg, tmp_path))
    assert result.ran == tool_free_step_names()
    if find_tool("vitis_hls") is None:  # the build stops at the ip step, says how to finish
        assert "vitis_hls not found" in result.waiting and "--from-step ip" in result.waiting
    out = tmp_path / "out" / "tinier-yolo-mini"
    assert json.loads((out / "cppsim" / "cppsim.json").read_text())["bit_exact"]
    assert (out / "hls" / "ip_manifest.json").is_file() and (out / "deploy.zip").is_file()
    assert (out / "vivado" / "project.tcl").is_file()
    for i, name in enumerate(tool_free_step_names(), start=1):
        assert (out / f"{i:02d}_{name}.onnx").is_file()
    report = json.loads((out / "report.json").read_text())
    assert report["verification"]["passed"] is True
    assert report["total_macs"] > 0
    assert "| l000_conv_mac_mvu | MatrixVectorUnit |" in (out / "report.md").read_text()


def test_second_run_skips_everything_and_changed_input_reruns(default_cfg, tmp_path):
    run_build(_cfg(default_cfg, tmp_path))
    again = run_build(_cfg(default_cfg, tmp_path))
    assert again.ran == [] and again.skipped == tool_free_step_names()
    changed = run_build(_cfg(default_cfg, tmp_path, input_size=(96, 96)))
    assert changed.ran == tool_free_step_names()


def test_to_step_and_from_step(default_cfg, tmp_path):
    first = run_build(_cfg(default_cfg, tmp_path, to_step="tidy"))
    assert first.ran == ["import", "tidy"]
    out = tmp_path / "out" / "tinier-yolo-mini"
    assert not (out / "03_verify.onnx").exists()
    rest = run_build(_cfg(default_cfg, tmp_path, from_step="verify"))
    assert rest.ran == tool_free_step_names()[2:]
    forced = run_build(_cfg(default_cfg, tmp_path, from_step="tidy"))
    assert forced.ran == tool_free_step_names()[1:]


def test_from_step_without_previous_output_is_a_clear_error(default_cfg, tmp_path):
    with pytest.raises(QnnflowError, match="run the build up to 'tidy' first"):
        run_build(_cfg(default_cfg, tmp_path, from_step="verify"))


def test_unknown_step_and_reversed_range(default_cfg, tmp_path):
    with pytest.raises(QnnflowError, match="unknown step 'nope'"):
        run_build(_cfg(default_cfg, tmp_path, to_step="nope"))
    with pytest.raises(QnnflowError, match="comes after"):
        run_build(_cfg(default_cfg, tmp_path, from_step="report", to_step="import"))


def test_missing_weights_and_model(default_cfg, tmp_path):
    cfg_copy = tmp_path / "lonely.cfg"
    cfg_copy.write_text(default_cfg.read_text())
    with pytest.raises(QnnflowError, match="weights not found"):
        run_build(BuildConfig(model=cfg_copy, output_root=tmp_path / "out"))
    assert not (tmp_path / "out" / "lonely" / "01_import.onnx").exists()
    with pytest.raises(QnnflowError, match="model not found"):
        BuildConfig(model=tmp_path / "absent.cfg")


def test_onnx_model_input_is_accepted(default_cfg, tmp_path):
    run_build(_cfg(default_cfg, tmp_path, to_step="import"))
    onnx_path = tmp_path / "out" / "tinier-yolo-mini" / "01_import.onnx"
    result = run_build(
        BuildConfig(model=onnx_path, output_root=tmp_path / "again", calib_dir=_calib_dir(tmp_path))
    )
    assert result.ran == tool_free_step_names()


def test_quantize_without_calibration_images_is_a_clear_error(default_cfg, tmp_path):
    cfg = BuildConfig(
        model=default_cfg, output_root=tmp_path, calib_dir=tmp_path / "none", input_size=(64, 64)
    )
    with pytest.raises(QnnflowError, match="step 'quantize': calibration images not found"):
        run_build(cfg)


def test_report_has_the_folded_estimate(default_cfg, tmp_path):
    run_build(_cfg(default_cfg, tmp_path))
    out = tmp_path / "out" / "tinier-yolo-mini"
    report = (out / "report.md").read_text()
    assert "## Folding and estimates" in report and "MatrixVectorUnit" in report
    assert json.loads((out / "estimate.json").read_text())["fps"] > 0


def test_accuracy_step_scores_float_and_quantized_on_the_dataset(default_cfg, tmp_path):
    from qnnflow.data.writer import generate_dataset

    data = tmp_path / "shapes"
    generate_dataset(data, 0, counts={"train": 0, "val": 0, "test": 4})
    cfg = _cfg(default_cfg, tmp_path, to_step="accuracy", accuracy_data=data, accuracy_images=4)
    run_build(cfg)
    report = json.loads((tmp_path / "out" / "tinier-yolo-mini" / "accuracy.json").read_text())
    assert report["float"]["images"] == report["quant"]["images"] == 4
    assert report["passed"] == (report["drop_points"] <= 5.0)
