"""`qnnflow evaluate`: equal models drop 0 and exit 0; a damaged copy prints its numbers and
exits 2 over --max-drop; the JSON schema; QONNX and QCDQ quant models; preprocessing options
reach the images; bad input is one line; --task detect is the verify-accuracy gate."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from qnnflow.cli import cli, main
from tests.quant.evaluate.tiny_classifiers import CLASSES, colour_classifier, colour_images, save

PER_CLASS = 5


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    paths = {"data": colour_images(root / "data", PER_CLASS)}
    for name, model in (
        ("float", colour_classifier("float")),
        ("qonnx", colour_classifier("qonnx")),
        ("qcdq", colour_classifier("qcdq")),
        ("damaged", colour_classifier("float", roll=1)),
    ):
        paths[name] = save(model, root / f"{name}.onnx")
    return paths


def _invoke(files, quant: str, *extra: str):
    args = ["evaluate", "--task", "classify", "--float", str(files["float"])]
    args += ["--quant", str(files[quant]), "--data", str(files["data"]), *extra]
    return CliRunner().invoke(cli, args, prog_name="qnnflow")


@pytest.mark.parametrize("quant", ["float", "qonnx", "qcdq"])
def test_equal_models_drop_nothing_and_pass(files, quant):
    result = _invoke(files, quant, "--max-drop", "0", "--json", "--batch-size", "4")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["passed"] is True and payload["drop_points"] == {"top1": 0.0, "top5": 0.0}
    assert payload["float"]["top1"] == payload["quant"]["top1"] == 1.0


def test_damaged_model_prints_numbers_then_exits_2(files, capsys):
    args = ["evaluate", "--task", "classify", "--float", str(files["float"])]
    args += ["--quant", str(files["damaged"]), "--data", str(files["data"]), "--max-drop", "1"]
    assert main(args) == 2  # the entry point: a failed gate is exit code 2
    captured = capsys.readouterr()
    assert "top-1 drop 100.00 points (allowed 1): FAILED" in captured.out
    assert "100.00" in captured.out and "0.00" in captured.out  # float 100 %, damaged 0 %
    assert "top-3" in captured.out  # three classes: top-5 is top-3
    assert captured.err.startswith("error: accuracy gate failed: top-1 dropped 100.00 points")
    assert len(captured.err.strip().splitlines()) == 1


def test_without_max_drop_it_only_reports(files):
    result = _invoke(files, "damaged")
    assert result.exit_code == 0, result.output
    assert "no --max-drop gate" in result.output


def test_json_schema(files):
    result = _invoke(files, "damaged", "--json", "--max-images", "4")
    payload = json.loads(result.output)
    assert set(payload) == {
        "task",
        "passed",
        "metric",
        "drop_points",
        "max_drop_points",
        "images",
        "classes",
        "preprocess",
        "float",
        "quant",
    }
    assert payload["task"] == "classify" and payload["metric"] == "top1"
    assert payload["max_drop_points"] is None and payload["passed"] is True
    assert payload["images"] == 4 and payload["classes"] == list(CLASSES)
    assert payload["drop_points"] == {"top1": 100.0, "top5": 0.0}
    assert payload["preprocess"] == {
        "input_size": [8, 8],
        "mean": [0.0],
        "std": [1.0],
        "channels": "rgb",
        "resize": "stretch",
    }
    for side in ("float", "quant"):
        assert set(payload[side]) == {
            "model",
            "executor",
            "seconds",
            "images",
            "top1",
            "top5",
            "top5_k",
        }
        assert payload[side]["top5_k"] == 3 and payload[side]["images"] == 4
    assert payload["quant"]["top1"] == 0.0 and payload["quant"]["top5"] == 1.0


def test_preprocessing_options_reach_the_images(files):
    # BGR swaps red and blue: only the green images stay right (1 of 3)
    result = _invoke(files, "float", "--json", "--channels", "bgr", "--resize", "center-crop")
    payload = json.loads(result.output)
    assert payload["float"]["top1"] == pytest.approx(1 / 3, abs=1e-6)
    assert payload["preprocess"]["channels"] == "bgr"
    normalised = _invoke(files, "float", "--json", "--mean", "0.1,0.2,0.3", "--std", "0.5")
    assert json.loads(normalised.output)["preprocess"]["mean"] == [0.1, 0.2, 0.3]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--channels", "gray"], "preprocessing makes 1 x 8 x 8 inputs .* the model takes 3 x 8"),
        (["--input-size", "4x4"], "preprocessing makes 3 x 4 x 4 inputs"),
        (["--mean", "0.1,0.2"], "--mean needs 1 or 3 values"),
        (["--max-drop", "-1"], "--max-drop must be >= 0"),
        (["--max-images", "0"], "--max-images"),
        (["--split", "val"], "no split 'val'"),
    ],
)
def test_bad_input_is_one_line_exit_2(files, capsys, extra, message):
    args = ["evaluate", "--task", "classify", "--float", str(files["float"])]
    args += ["--quant", str(files["qonnx"]), "--data", str(files["data"]), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert re.search(message, err), err


def test_model_mismatches_are_one_line(files, tmp_path, capsys):
    two = tmp_path / "two"  # two class folders, no classes.txt, for a three-class model
    for name in ("red", "green"):
        (two / name).mkdir(parents=True)
        shutil.copy(files["data"] / name / "0.png", two / name / "0.png")
    args = ["evaluate", "--task", "classify", "--float", str(files["float"])]
    assert main([*args, "--quant", str(files["qonnx"]), "--data", str(two)]) == 2
    assert "scores 3 classes but" in capsys.readouterr().err
    missing = ["evaluate", "--task", "classify", "--float", "nope.onnx"]
    assert main([*missing, "--quant", str(files["qonnx"]), "--data", str(files["data"])]) == 2
    assert "model not found: nope.onnx" in capsys.readouterr().err


def test_detect_refuses_classification_preprocessing(files, capsys):
    args = ["evaluate", "--task", "detect", "--float", str(files["float"])]
    args += ["--quant", str(files["float"]), "--data", str(files["data"]), "--mean", "0.5"]
    assert main(args) == 2
    assert "--mean: preprocessing options apply to --task classify" in capsys.readouterr().err


def test_detect_task_is_the_verify_accuracy_gate(tmp_path, capsys):
    from tests.data.shape_detector import coarse_size_quant, plain_dataset, shape_detector

    size = 64
    shape_detector(size).save(str(tmp_path / "f.onnx"))
    coarse_size_quant(size).save(str(tmp_path / "q.onnx"))
    data = plain_dataset(tmp_path / "data", size, 6, seed=4)
    base = ["--float", str(tmp_path / "f.onnx"), "--data", str(data), "--max-images", "6"]
    same = ["evaluate", "--task", "detect", *base, "--quant", str(tmp_path / "f.onnx")]
    assert main([*same, "--json", "--max-drop", "0"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["task"] == "detect" and payload["drop_points"] == 0.0
    assert payload["float"]["images"] == 6 and payload["max_drop_points"] == 0.0
    bad = ["evaluate", "--task", "detect", *base, "--quant", str(tmp_path / "q.onnx")]
    assert main([*bad, "--max-drop", "5"]) == 2
    captured = capsys.readouterr()
    assert "FAILED" in captured.out and "mAP" in captured.out
    assert captured.err.startswith("error: accuracy gate failed")
    gate = ["verify-accuracy", *base, "--quant", str(tmp_path / "q.onnx"), "--json"]
    assert main(gate) == 2  # the alias keeps its default --max-drop 5
    assert json.loads(capsys.readouterr().out)["max_drop_points"] == 5.0
