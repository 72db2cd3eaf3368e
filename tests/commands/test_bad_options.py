"""Bad numeric options and folding files through the CLI: one `error:` line, exit code 2 and
nothing written (they used to raise ZeroDivisionError, ValueError, AttributeError, or were
silently read as "all images")."""

from __future__ import annotations

import json

import pytest

from qnnflow.cli import main
from qnnflow.frontend.binparams import hidden_layers_model
from tests.conftest import DEFAULT_CFG
from tests.transforms.fold.test_folding import small_params

pytestmark = pytest.mark.usefixtures("restore_logging")  # tests/conftest.py


@pytest.fixture(scope="module")
def hw_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("hw") / "hidden.onnx"
    hidden_layers_model(small_params()).save(str(path))
    return path


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert "internal error" not in err
    return err


@pytest.mark.parametrize("fps", ["0", "-2", "nan", "inf"])
def test_build_target_fps_must_be_positive_and_finite(fps, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["build", "--model", str(DEFAULT_CFG), "--out", str(out), "--target-fps", fps]
    assert main(args) == 2
    assert "--target-fps must be a positive finite number" in one_line(capsys)
    assert not out.exists()


def test_build_accuracy_images_must_be_at_least_one(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["build", "--model", str(DEFAULT_CFG), "--out", str(out), "--accuracy-images", "0"]
    assert main(args) == 2
    assert "--accuracy-images must be an integer >= 1, got 0" in one_line(capsys)
    assert not out.exists()


@pytest.mark.parametrize("fps", ["0", "nan"])
def test_estimate_target_fps_must_be_positive_and_finite(fps, hw_model, tmp_path, capsys):
    output = tmp_path / "folded.onnx"
    assert main(["estimate", str(hw_model), "--target-fps", fps, "-o", str(output)]) == 2
    assert "target fps must be a positive finite number" in one_line(capsys)
    assert not output.exists()


@pytest.mark.parametrize(
    ("config", "words"),
    [([{"conv1_mvu": {"PE": 2}}], "got a list"), ({"conv1_mvu": {"PE": True}}, "got True")],
)
def test_estimate_refuses_a_bad_folding_file(config, words, hw_model, tmp_path, capsys):
    folding = tmp_path / "folding.json"
    folding.write_text(json.dumps(config))
    output = tmp_path / "folded.onnx"
    assert main(["estimate", str(hw_model), "--folding", str(folding), "-o", str(output)]) == 2
    line = one_line(capsys)
    assert line.startswith(f"error: {folding}: folding config") and words in line
    assert not output.exists()


def test_quantize_max_samples_must_be_at_least_one(tmp_path, capsys):
    output = tmp_path / "q.onnx"
    calib = DEFAULT_CFG.with_name("tinier-yolo-mini-calib")
    args = ["quantize", "--model", str(DEFAULT_CFG), "--calib-dir", str(calib), "-o", str(output)]
    assert main([*args, "--max-samples", "0"]) == 2
    assert "(--max-samples) must be an integer >= 1, got 0" in one_line(capsys)
    assert not output.exists()


@pytest.mark.parametrize(("option", "value"), [("--verify-inputs", "0"), ("--seed", "-1")])
def test_build_seed_and_verify_inputs_are_checked(option, value, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["build", "--model", str(DEFAULT_CFG), "--out", str(out), option, value]
    assert main(args) == 2
    minimum = 1 if option == "--verify-inputs" else 0
    assert f"{option} must be an integer >= {minimum}, got {value}" in one_line(capsys)
    assert not out.exists()
