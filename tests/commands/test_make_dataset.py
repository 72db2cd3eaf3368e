"""`qnnflow make-dataset` through click: counts, size, seed, and errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from qnnflow.commands.make_dataset import make_dataset_cmd
from qnnflow.errors import QnnflowError


def run(args):
    return CliRunner().invoke(make_dataset_cmd, args)


def test_writes_the_requested_dataset(tmp_path):
    out = tmp_path / "ds"
    args = ["-o", str(out), "--seed", "3", "--size", "40x56", "--train", "3", "--val", "1"]
    result = run([*args, "--test", "2", "--format", "png"])
    assert result.exit_code == 0, result.output
    assert "train 3 images" in result.output
    info = json.loads((out / "dataset.json").read_text())
    assert info["seed"] == 3 and info["image_size"] == [56, 40]
    assert {k: v["images"] for k, v in info["splits"].items()} == {"train": 3, "val": 1, "test": 2}
    assert len(list((out / "images" / "test").glob("*.png"))) == 2


def test_plain_flag_and_square_size(tmp_path):
    out = tmp_path / "ds"
    result = run(["-o", str(out), "--size", "32", "--train", "1", "--val", "0", "--test", "0"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "dataset.json").read_text())["image_size"] == [32, 32]
    result = run(["-o", str(out), "--plain", "--overwrite", "--train", "1", "--val", "0"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "dataset.json").read_text())["scene"]["clutter"] is False


def test_errors(tmp_path):
    assert run(["-o", str(tmp_path / "x"), "--size", "big"]).exit_code == 2  # click usage error
    out = tmp_path / "ds"
    assert run(["-o", str(out), "--train", "1", "--val", "0", "--test", "0"]).exit_code == 0
    again = run(["-o", str(out), "--train", "1"])
    assert isinstance(again.exception, QnnflowError) and "already exists" in str(again.exception)
    tiny = run(["-o", str(tmp_path / "t"), "--size", "8", "--train", "1"])
    assert isinstance(tiny.exception, QnnflowError) and "at least 16x16" in str(tiny.exception)
