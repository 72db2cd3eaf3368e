"""The `qnnflow` CLI, in-process and as a subprocess: results on success; on bad input one
`error: file:line: ...` line on stderr, exit code 2, no traceback and nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from qnnflow.cli import main
from qnnflow.errors import DarknetError, QnnflowError

BAD_FILTERS_LINE = 49  # `filters=32` in the default cfg: the first line with that text


pytestmark = pytest.mark.usefixtures("restore_logging")  # tests/conftest.py


@pytest.fixture
def weights(default_cfg) -> Path:
    return default_cfg.with_suffix(".weights")


@pytest.fixture
def bad_cfg(default_cfg, tmp_path) -> Path:
    """The default cfg with one non-integer value on line BAD_FILTERS_LINE."""
    lines = default_cfg.read_text().splitlines(keepends=True)
    assert lines[BAD_FILTERS_LINE - 1] == "filters=32\n"
    lines[BAD_FILTERS_LINE - 1] = "filters=3x2\n"
    path = tmp_path / "bad.cfg"
    path.write_text("".join(lines))
    return path


def qnnflow_command() -> list[str]:
    """The installed console script beside this Python, else `python -m qnnflow.cli`."""
    script = Path(sys.executable).with_name("qnnflow")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "qnnflow.cli"]


def run_qnnflow(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [*qnnflow_command(), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


# --- import-darknet ---------------------------------------------------------------------------


def test_import_darknet_writes_a_model_onnxruntime_runs(default_cfg, weights, tmp_path, capsys):
    out = tmp_path / "model.onnx"
    assert main(["import-darknet", str(default_cfg), str(weights), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"wrote {out}: 15 Darknet layers") and captured.err == ""
    onnx.checker.check_model(str(out))
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (head,) = session.run(None, {"input": np.ones((1, 3, 224, 224), np.float32)})
    assert head.shape == (1, 45, 7, 7) and np.isfinite(head).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


@pytest.mark.parametrize("size,grid", [("160x160", (5, 5)), ("96x128", (3, 4))])
def test_input_size_changes_the_input_shape(default_cfg, weights, tmp_path, capsys, size, grid):
    out = tmp_path / "model.onnx"
    args = ["import-darknet", str(default_cfg), str(weights), "-o", str(out), "--input-size", size]
    assert main(args) == 0
    model = onnx.load(str(out))
    height, width = (int(v) for v in size.split("x"))
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, height, width]
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (head,) = session.run(None, {"input": np.zeros((1, 3, height, width), np.float32)})
    assert head.shape == (1, 45, *grid)


def test_malformed_cfg_is_one_error_line_exit_2_and_writes_nothing(
    bad_cfg, weights, tmp_path, capsys
):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = main(["import-darknet", str(bad_cfg), str(weights), "-o", str(out_dir / "m.onnx")])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    line = one_error_line(captured.err)
    assert line == (
        f"error: {bad_cfg}:{BAD_FILTERS_LINE}: [convolutional] filters: expected an integer, "
        "got '3x2'"
    )
    assert list(out_dir.iterdir()) == []  # no model and no leftover temporary file


def test_truncated_weights_is_one_error_line_and_writes_nothing(
    default_cfg, weights, tmp_path, capsys
):
    short = tmp_path / "short.weights"
    short.write_bytes(weights.read_bytes()[: 20 + 4 * 1000])
    out = tmp_path / "out" / "m.onnx"
    assert main(["import-darknet", str(default_cfg), str(short), "-o", str(out)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: {short}: truncated: the cfg needs 404637 floats")
    assert "the file has 1000;" in line and "layer 1 (convolutional, line" in line
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_debug_raises_in_process(bad_cfg, weights, tmp_path):
    out = tmp_path / "m.onnx"
    with pytest.raises(DarknetError, match=r"filters: expected an integer, got '3x2'"):
        main(["--debug", "import-darknet", str(bad_cfg), str(weights), "-o", str(out)])
    assert not out.exists()


@pytest.mark.parametrize("size", ["big", "160", "160x", "0x160", "-32x32"])
def test_bad_input_size_is_a_usage_error(default_cfg, weights, tmp_path, capsys, size):
    out = tmp_path / "m.onnx"
    args = ["import-darknet", str(default_cfg), str(weights), "-o", str(out), "--input-size", size]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Usage: qnnflow import-darknet" in err and "Invalid value for '--input-size'" in err
    assert "Traceback" not in err and not out.exists()


# --- as a subprocess ---------------------------------------------------------------------------


def test_subprocess_error_is_one_line_without_traceback(bad_cfg, weights, tmp_path):
    out = tmp_path / "m.onnx"
    proc = run_qnnflow("import-darknet", str(bad_cfg), str(weights), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_error_line(proc.stderr).startswith(f"error: {bad_cfg}:{BAD_FILTERS_LINE}: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.cfg"]


def test_subprocess_debug_shows_the_traceback(bad_cfg, weights, tmp_path):
    out = tmp_path / "m.onnx"
    args = ["--debug", "import-darknet", str(bad_cfg), str(weights), "-o", str(out)]
    proc = run_qnnflow(*args, cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr
    assert f"qnnflow.errors.DarknetError: {bad_cfg}:{BAD_FILTERS_LINE}: " in proc.stderr
    assert not out.exists()


def test_subprocess_import_succeeds(default_cfg, weights, tmp_path):
    out = tmp_path / "m.onnx"
    proc = run_qnnflow(
        "import-darknet", str(default_cfg), str(weights), "-o", str(out), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "15 Darknet layers" in proc.stdout and out.is_file()


# --- inspect-darknet ---------------------------------------------------------------------------


def test_inspect_darknet_prints_the_layer_table(default_cfg, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["inspect-darknet", str(default_cfg), "--input-size", "160x160"]) == 0
    out = capsys.readouterr().out
    for column in ("#", "layer", "details", "input", "output", "line"):
        assert column in out
    assert "(160x160x3)" in out
    assert "16 3x3/2 relu" in out and "binary" in out
    assert "3x160x160" in out and "16x80x80" in out and "45x5x5" in out
    assert out.count("convolutional") == 9 and out.count("maxpool") == 5 and "region" in out
    assert "weights file size: 404637 floats after the header" in out


def test_inspect_darknet_on_a_malformed_cfg(bad_cfg, capsys):
    assert main(["inspect-darknet", str(bad_cfg)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert one_error_line(captured.err).startswith(f"error: {bad_cfg}:{BAD_FILTERS_LINE}: ")


# --- build --------------------------------------------------------------------------------------


def onnx_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.onnx"))


def test_build_to_tidy_then_rerun_skips_every_step(default_cfg, tmp_path, capsys):
    args = ["build", "--model", str(default_cfg), "--out", str(tmp_path), "--to-step", "tidy"]
    assert main(args) == 0
    out_dir = tmp_path / default_cfg.stem
    assert onnx_files(out_dir) == ["01_import.onnx", "02_tidy.onnx"]
    first = capsys.readouterr().out
    assert "import (done)" in first and "tidy (done)" in first
    stamps = {p.name: p.stat().st_mtime_ns for p in out_dir.iterdir()}

    assert main(args) == 0
    second = capsys.readouterr().out
    assert "import (skipped)" in second and "tidy (skipped)" in second and "(done)" not in second
    assert {p.name: p.stat().st_mtime_ns for p in out_dir.iterdir()} == stamps


def test_build_from_a_later_step_reuses_the_saved_model(default_cfg, tmp_path, capsys):
    base = ["build", "--model", str(default_cfg), "--out", str(tmp_path)]
    assert main([*base, "--to-step", "import"]) == 0
    assert main([*base, "--from-step", "tidy", "--to-step", "tidy"]) == 0
    out = capsys.readouterr().out
    assert "tidy (done)" in out and out.count("import (") == 1
    assert onnx_files(tmp_path / default_cfg.stem) == ["01_import.onnx", "02_tidy.onnx"]


def test_from_step_without_a_previous_build_fails_clearly(default_cfg, tmp_path, capsys):
    args = ["build", "--model", str(default_cfg), "--out", str(tmp_path), "--from-step", "verify"]
    assert main(args) == 2
    missing = tmp_path / default_cfg.stem / "02_tidy.onnx"
    assert one_error_line(capsys.readouterr().err) == (
        f"error: cannot start at step 'verify': {missing} is missing; "
        "run the build up to 'tidy' first"
    )
    assert onnx_files(tmp_path / default_cfg.stem) == []


def test_unknown_step_name_is_a_usage_error(default_cfg, tmp_path, capsys):
    args = ["build", "--model", str(default_cfg), "--out", str(tmp_path)]
    assert main([*args, "--from-step", "verify_float"]) == 2
    err = capsys.readouterr().err
    assert "Invalid value for '--from-step': 'verify_float' is not one of 'import', 'tidy'" in err
    assert list(tmp_path.iterdir()) == []


def test_build_with_a_missing_model_is_one_error_line(tmp_path, capsys):
    missing = tmp_path / "nope.cfg"
    assert main(["build", "--model", str(missing), "--out", str(tmp_path / "b")]) == 2
    assert one_error_line(capsys.readouterr().err) == f"error: model not found: {missing}"


def test_build_passes_target_fps_and_folding_to_the_build(monkeypatch, tmp_path):
    """Regression: --target-fps and --folding were parsed but never reached the build."""
    import qnnflow.flow as build_api

    seen = {}

    def fake_run_build(cfg, on_step=None):
        seen.update(target_fps=cfg.target_fps, folding=cfg.folding)
        raise QnnflowError("stop here")

    monkeypatch.setattr(build_api, "run_build", fake_run_build)
    folding = tmp_path / "f.json"
    folding.write_text("{}")
    args = ["build", "--model", "data/models/tinier-yolo-mini.cfg", "--out", str(tmp_path)]
    assert main([*args, "--target-fps", "12.5", "--folding", str(folding)]) == 2
    assert seen == {"target_fps": 12.5, "folding": folding}
