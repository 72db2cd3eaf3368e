"""The default detector's float-trained weights, `qnnflow quantize --scheme int8` (Brevitas,
although the cfg marks binary=1 convs) on the committed calibration images, scored by
`qnnflow evaluate --task detect` against the float import on the accuracy gate's data (the
first 100 images of `make build`'s 200-image shapes test split): mAP@0.5 drops <= 1 point.
The QONNX must carry the head records for evaluate to decode it at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.commands.evaluate import evaluate_cmd
from qnnflow.commands.import_darknet import import_darknet_cmd
from qnnflow.commands.make_dataset import make_dataset_cmd
from qnnflow.commands.quantize import quantize_cmd

MODELS = Path(__file__).parents[2] / "data" / "models"
CFG = MODELS / "tinier-yolo-mini.cfg"
FLOAT_WEIGHTS = MODELS / "tinier-yolo-mini-float.weights"
CALIB = MODELS / "tinier-yolo-mini-calib"


def _ok(command, args: list) -> str:
    result = CliRunner().invoke(command, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_int8_ptq_of_the_default_detector_loses_at_most_one_map_point(tmp_path):
    data = tmp_path / "shapes-test"
    _ok(make_dataset_cmd, ["-o", data, "--train", 0, "--val", 0, "--test", 200])
    float_onnx = tmp_path / "float.onnx"
    _ok(import_darknet_cmd, [CFG, FLOAT_WEIGHTS, "-o", float_onnx])
    quant = tmp_path / "int8.onnx"
    args = [CFG, "--weights", FLOAT_WEIGHTS, "--scheme", "int8", "--calib-dir", CALIB]
    _ok(quantize_cmd, [*args, "--resize", "letterbox", "-o", quant])
    ops = {n.op_type for n in ModelWrapper(str(quant)).graph.node}
    assert "Quant" in ops and "BipolarQuant" not in ops  # Brevitas int8, not the W1A3 path
    info = json.loads(quant.with_suffix(".quant_info.json").read_text())
    assert info["scheme"] == "w8a8"

    evaluate = ["--task", "detect", "--float", float_onnx, "--quant", quant, "--data", data]
    output = _ok(evaluate_cmd, [*evaluate, "--max-images", 100, "--max-drop", 1, "--json"])
    result = json.loads(output)
    assert result["quant"]["images"] == 100
    float_map, quant_map = result["float"]["map50"], result["quant"]["map50"]
    print(f"mAP@0.5 float {100 * float_map:.2f}, int8 {100 * quant_map:.2f}")
    assert float_map > 0.25  # the float-trained detector finds the shapes
    assert result["passed"] and result["drop_points"] <= 1.0
