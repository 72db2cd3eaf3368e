"""The accuracy step can be seen to fail: a quantized model calibrated with an absurd input
scale (every pixel rounds to 0) stops the build; a sane calibration passes."""

from __future__ import annotations

import json

import pytest

from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig
from qnnflow.flow.accuracy_step import step_accuracy
from qnnflow.flow.state import save_state
from qnnflow.quant.qonnx_nodes import insert_quant_after
from qnnflow.report import context_from_dir, write_report
from tests.data.shape_detector import _with_qonnx_opset, plain_dataset, shape_detector

SIZE = 64
IMAGES = 8


def calibrated(scale: float):
    """The shape detector behind an 8-bit unsigned input quantizer of the given scale."""
    model = shape_detector(SIZE)
    insert_quant_after(model, "input", scale, 8, signed=False)
    return _with_qonnx_opset(model)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return plain_dataset(tmp_path_factory.mktemp("accuracy") / "data", SIZE, IMAGES, seed=4)


def _cfg(tmp_path, data, quant_scale: float) -> BuildConfig:
    """A build whose float reference is the float model and whose quantize step saved the
    calibrated one."""
    source = tmp_path / "detector.onnx"
    shape_detector(SIZE).save(str(source))
    cfg = BuildConfig(
        model=source, output_root=tmp_path / "out", accuracy_data=data, float_reference=source
    )
    cfg.output_dir.mkdir(parents=True)
    calibrated(quant_scale).save(str(cfg.output_dir / "04_quantize.onnx"))
    return cfg


def _record(cfg: BuildConfig) -> dict:
    return json.loads((cfg.output_dir / "accuracy.json").read_text())


def test_sane_calibration_passes(tmp_path, data):
    cfg = _cfg(tmp_path, data, 1.0 / 255.0)
    step_accuracy(shape_detector(SIZE), cfg)
    record = _record(cfg)
    assert record["passed"] and record["drop_points"] == pytest.approx(0.0)
    assert record["float"]["map50"] > 0.5 and record["quant"]["images"] == IMAGES


def test_absurd_activation_scale_fails_the_step(tmp_path, data):
    cfg = _cfg(tmp_path, data, 100.0)  # every input pixel (0..1) rounds to code 0
    with pytest.raises(QnnflowError, match=r"accuracy gate failed: mAP@0.5 dropped \d+\.\d+ "):
        step_accuracy(shape_detector(SIZE), cfg)
    record = _record(cfg)
    assert record["passed"] is False and record["drop_points"] > 50
    assert record["quant"]["map50"] < 0.05 < record["float"]["map50"]
    # the report of the stopped build (quantize done, accuracy failed) shows the verdict
    save_state(cfg.output_dir, {"steps": {"quantize": {"output": "04_quantize.onnx"}}})
    text = write_report(context_from_dir(cfg.output_dir)).markdown.read_text()
    assert f"drop {record['drop_points']:.2f} points, gate failed (max 5) |" in text
    assert "| build | stopped after step quantize; `--from-step accuracy` goes on |" in text
