"""The CLI: results on success, one `error:` line and exit 2 on bad input, nothing written."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest

from qnnflow.cli import main


def test_import_darknet_writes_a_runnable_model(default_cfg, tmp_path, capsys):
    out = tmp_path / "m.onnx"
    code = main(
        [
            "import-darknet",
            str(default_cfg),
            str(default_cfg.with_suffix(".weights")),
            "-o",
            str(out),
            "--input-size",
            "96x128",
        ]
    )
    assert code == 0 and "15 Darknet layers" in capsys.readouterr().out
    session = ort.InferenceSession(str(out))
    (y,) = session.run(None, {"input": np.zeros((1, 3, 96, 128), np.float32)})
    assert y.shape == (1, 45, 3, 4)


def test_malformed_cfg_is_one_line_exit_2_and_writes_nothing(default_cfg, tmp_path, capsys):
    bad = tmp_path / "bad.cfg"
    bad.write_text(default_cfg.read_text().replace("filters=32", "filters=3x2"))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = main(
        [
            "import-darknet",
            str(bad),
            str(default_cfg.with_suffix(".weights")),
            "-o",
            str(out_dir / "m.onnx"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [f"error: {bad}:49: [convolutional] filters: expected an integer, got '3x2'"]
    assert list(out_dir.iterdir()) == []


def test_truncated_weights_error(default_cfg, tmp_path, capsys):
    short = tmp_path / "short.weights"
    short.write_bytes(default_cfg.with_suffix(".weights").read_bytes()[:4020])
    code = main(["import-darknet", str(default_cfg), str(short), "-o", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and "truncated: the cfg needs 404637 floats" in err
    assert "the file has 1000" in err and not (tmp_path / "m.onnx").exists()


def test_debug_shows_the_traceback(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("[net]\nwidth=x\n")
    with pytest.raises(Exception, match="width: expected an integer"):
        main(["--debug", "import-darknet", str(bad), str(bad), "-o", str(tmp_path / "m.onnx")])


def test_bad_input_size_is_a_usage_error(default_cfg, tmp_path, capsys):
    code = main(
        [
            "import-darknet",
            str(default_cfg),
            str(default_cfg),
            "-o",
            str(tmp_path / "m.onnx"),
            "--input-size",
            "big",
        ]
    )
    assert code == 2 and "expected HxW" in capsys.readouterr().err


def test_inspect_darknet_prints_the_layer_table(default_cfg, capsys):
    assert main(["inspect-darknet", str(default_cfg)]) == 0
    out = capsys.readouterr().out
    assert "region" in out and "404637 floats" in out


def test_console_script_in_a_subprocess(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("[net]\nwidth=16\nheight=16\n[bogus]\n")
    proc = subprocess.run(
        [sys.executable, "-m", "qnnflow.cli", "inspect-darknet", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"error: {bad}:4: [bogus] unknown or unsupported")
    assert "Traceback" not in proc.stderr
