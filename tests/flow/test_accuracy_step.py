"""The build's accuracy gate compares with the float-TRAINED model: the default model carries
its float weights, a broken calibration fails the build with the numbers, and without a
dataset or a float reference the console, accuracy.json and the report say 'NOT run'."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
from PIL import Image
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.cli import main
from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig, run_build
from qnnflow.flow.accuracy_step import NO_DATA, NO_REFERENCE, gate_summary
from qnnflow.flow.config import saved_step_path
from qnnflow.flow.report import step_report


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    from qnnflow.data.writer import generate_dataset

    root = tmp_path_factory.mktemp("shapes") / "shapes"
    generate_dataset(root, 0, counts={"train": 0, "val": 0, "test": 6})
    return root


def _model_copy(default_cfg, folder, float_weights: bool, calib: str = "noise"):
    """The default cfg+weights in `folder` (with or without its -float.weights) and a
    three-image calibration folder beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / default_cfg.name
    shutil.copy(default_cfg, cfg)
    shutil.copy(default_cfg.with_suffix(".weights"), cfg.with_suffix(".weights"))
    if float_weights:
        source = default_cfg.with_name(f"{default_cfg.stem}-float.weights")
        shutil.copy(source, cfg.with_name(source.name))
    calib_dir = folder / f"{cfg.stem}-calib"
    calib_dir.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(
            calib_dir / f"{i}.png"
        )
    return cfg


def test_default_model_carries_its_float_trained_weights(default_cfg):
    reference = BuildConfig(model=default_cfg).float_reference
    assert reference == default_cfg.with_name("tinier-yolo-mini-float.weights")
    record = json.loads(default_cfg.with_suffix(".train.json").read_text())
    assert record["float"]["weights_file"] == reference.name
    digest = hashlib.sha256(reference.read_bytes()).hexdigest()
    assert digest == record["float"]["weights_sha256"]
    # the float weights are not the W1A3 ones the build quantizes
    assert reference.read_bytes() != default_cfg.with_suffix(".weights").read_bytes()


def test_bad_float_reference_is_one_line(default_cfg, tmp_path):
    with pytest.raises(QnnflowError, match="--float-reference not found"):
        BuildConfig(model=default_cfg, float_reference=tmp_path / "nope.weights")
    with pytest.raises(QnnflowError, match="expected Darknet .weights"):
        BuildConfig(model=default_cfg, float_reference=default_cfg.with_suffix(".train.json"))


def test_without_data_the_gate_is_not_run(default_cfg, tmp_path):
    cfg = _model_copy(default_cfg, tmp_path / "m", float_weights=True)
    build = BuildConfig(model=cfg, output_root=tmp_path / "out", input_size=(64, 64))
    build.to_step = "accuracy"
    run_build(build)
    record = json.loads((build.output_dir / "accuracy.json").read_text())
    assert record == {"gate": "not run", "passed": None, "reason": NO_DATA}
    assert gate_summary(build.output_dir) == f"accuracy gate NOT run: {NO_DATA}"


def test_without_float_reference_the_console_says_not_run(default_cfg, tmp_path, shapes, capsys):
    cfg = _model_copy(default_cfg, tmp_path / "m", float_weights=False)
    args = ["build", "--model", str(cfg), "--out", str(tmp_path / "out"), "--to-step"]
    args += ["accuracy", "--input-size", "64x64", "--accuracy-data", str(shapes)]
    assert main([*args, "--accuracy-images", "2"]) == 0
    out = capsys.readouterr().out
    assert "accuracy gate NOT run: no float-trained reference" in out
    build_dir = tmp_path / "out" / cfg.stem
    record = json.loads((build_dir / "accuracy.json").read_text())
    assert record["gate"] == "not run" and record["reason"] == NO_REFERENCE
    assert record["quant"]["images"] == 2 and "float" not in record
    build = BuildConfig(model=cfg, output_root=tmp_path / "out")
    step_report(ModelWrapper(str(saved_step_path(build, "quantize"))), build)
    report = (build_dir / "report.md").read_text()
    assert "## Accuracy\n\naccuracy gate NOT run: no float-trained reference" in report
    assert json.loads((build_dir / "report.json").read_text())["accuracy"]["passed"] is None


def test_broken_calibration_fails_the_gate_with_the_numbers(
    default_cfg, tmp_path, shapes, capsys, monkeypatch
):
    """Every 3-bit activation clip calibrated 20x too small saturates the network: the
    float-trained reference (found beside the cfg) scores far above it and the build stops."""
    import qnnflow.quant.w1a3 as w1a3

    real = w1a3.calibrate

    def broken(*args, **kwargs):
        result = real(*args, **kwargs)
        result.high /= 20.0
        return result

    monkeypatch.setattr(w1a3, "calibrate", broken)
    cfg = _model_copy(default_cfg, tmp_path / "m", float_weights=True)
    args = ["build", "--model", str(cfg), "--out", str(tmp_path / "out"), "--to-step"]
    args += ["accuracy", "--accuracy-data", str(shapes), "--accuracy-images", "6"]
    assert main(args) == 2
    captured = capsys.readouterr()
    error = captured.err.strip()
    assert len(error.splitlines()) == 1
    assert error.startswith("error: step 'accuracy': accuracy gate failed: mAP@0.5 dropped")
    record = json.loads((tmp_path / "out" / cfg.stem / "accuracy.json").read_text())
    assert record["gate"] == "failed" and record["passed"] is False
    assert record["float_reference"].endswith("tinier-yolo-mini-float.weights")
    drop = 100 * (record["float"]["map50"] - record["quant"]["map50"])
    assert record["float"]["map50"] > 0.2 and drop > 5.0
    assert f"dropped {drop:.2f} points" in error
    assert f"(float {100 * record['float']['map50']:.2f} -> quantized " in error


@pytest.mark.slow
def test_default_build_passes_against_its_float_training(default_cfg, tmp_path, shapes):
    """The real gate on the default model: PTQ of the W1A3 weights vs the float training."""
    from qnnflow.data.writer import generate_dataset

    data = tmp_path / "shapes"
    generate_dataset(data, 0, counts={"train": 0, "val": 0, "test": 50})
    build = BuildConfig(model=default_cfg, output_root=tmp_path / "out", accuracy_data=data)
    build.to_step = "accuracy"
    run_build(build)
    record = json.loads((build.output_dir / "accuracy.json").read_text())
    assert record["gate"] == "passed" and record["float"]["map50"] > 0.25
    assert gate_summary(build.output_dir).startswith("accuracy gate passed: mAP@0.5")


def test_float_reference_forms_agree_and_sizes_must_match(default_cfg, tmp_path):
    """.weights (for the build's cfg), .cfg+.weights and .onnx load the same float graph;
    an ONNX at another input size is refused in one line."""
    from qnnflow.flow.float_reference import check_same_input, load_float_reference
    from qnnflow.util.execute import run_onnxruntime

    weights = default_cfg.with_name("tinier-yolo-mini-float.weights")
    cfg = tmp_path / "float.cfg"
    shutil.copy(default_cfg, cfg)
    shutil.copy(weights, cfg.with_suffix(".weights"))
    by_weights = load_float_reference(weights, default_cfg, (64, 64), False)
    by_cfg = load_float_reference(cfg, default_cfg, (64, 64), False)
    by_weights.save(str(tmp_path / "float.onnx"))
    by_onnx = load_float_reference(tmp_path / "float.onnx", default_cfg, None, False)
    x = np.random.default_rng(0).random((1, 3, 64, 64), dtype=np.float32)
    outs = [next(iter(run_onnxruntime(m, x).values())) for m in (by_weights, by_cfg, by_onnx)]
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])
    bigger = load_float_reference(weights, default_cfg, (96, 96), False)
    with pytest.raises(QnnflowError, match=r"input shape \[1, 3, 96, 96\] differs"):
        check_same_input(bigger, by_weights, weights)
