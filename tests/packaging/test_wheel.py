"""The wheel carries hls/, boards/, notebooks/ and the default model, and an installed wheel
builds the default model from an unrelated folder (no checkout on the path) up to its
deployment package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from qnnflow.data.shapes import CLASS_NAMES
from qnnflow.resources import MARKERS
from tests.packaging.wheel import build_wheel, expected_data_files, wheel_names


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_carries_every_data_file(wheel):
    names = wheel_names(wheel)
    expected = expected_data_files()
    assert len(expected) > 40  # kernel headers, templates, board files, model, calibration
    assert sorted(expected - names) == []
    for folder, marker in MARKERS.items():
        assert f"qnnflow/share/{folder}/{marker}" in names
    assert "qnnflow/resources.py" in names and "qnnflow/cli.py" in names


def _run(cmd: list[str], cwd: Path, env: dict, timeout: float) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (cmd, result.stdout[-2000:], result.stderr[-2000:])
    return result


@pytest.mark.slow
def test_installed_wheel_builds_from_an_unrelated_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = [str(venv / "bin" / "pip"), "install", "--no-deps", "--no-index", "-q", str(wheel)]
    subprocess.run(install, check=True, timeout=300)
    # dependencies from this environment's site-packages; a path on PYTHONPATH does not run
    # .pth files, so an editable install of the checkout stays out
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run(
        [str(python), "-c", "import qnnflow.resources as r; print(r.__file__, r.hls_dir())"],
        work,
        env,
        60,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where
    # cppsim, and package: the notebook, the board's README template and the class names
    _run([str(venv / "bin" / "qnnflow"), "build", "--to-step", "package"], work, env, 1500)
    out = work / "build" / "tinier-yolo-mini"
    report = json.loads((out / "cppsim" / "cppsim.json").read_text())
    assert report["bit_exact"] is True and len(report["layers"]) > 10
    # the kernel headers the build copied came from the installed wheel
    assert (out / "hls" / "include" / "qnnflow" / "compat.hpp").is_file()
    deploy = out / "deploy"
    assert json.loads((deploy / "accelerator.json").read_text())["names"] == list(CLASS_NAMES)
    assert (deploy / "qnnflow_demo.ipynb").is_file() and (deploy / "README.md").is_file()
    assert (deploy / "sim" / "qnnflow" / "compat.hpp").is_file()
