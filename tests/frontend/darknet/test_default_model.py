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
