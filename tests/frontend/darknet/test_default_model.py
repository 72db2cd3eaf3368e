"""The embedded default model is what flows/make_default_weights.py generates, byte for byte."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_default_weights_regenerate_identically(default_cfg, tmp_path):
    out = tmp_path / "regen.weights"
    script = REPO_ROOT / "flows" / "make_default_weights.py"
    subprocess.run([sys.executable, str(script), str(default_cfg), str(out)], check=True)
    assert out.read_bytes() == default_cfg.with_suffix(".weights").read_bytes()


def test_default_calibration_images_regenerate_identically(tmp_path):
    calib = REPO_ROOT / "data" / "models" / "tinier-yolo-mini-calib"
    script = REPO_ROOT / "flows" / "make_default_calibration.py"
    subprocess.run([sys.executable, str(script), str(tmp_path), "20"], check=True)
    committed = sorted(p.name for p in calib.iterdir())
    assert committed == sorted(p.name for p in tmp_path.iterdir()) and len(committed) == 20
    assert all((calib / n).read_bytes() == (tmp_path / n).read_bytes() for n in committed)
