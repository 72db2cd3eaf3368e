"""The README's off-board command, run as written: from the deploy folder, with only the
package's runtime on PYTHONPATH, `--backend sim` compiles the package's own C++ and prints
the python backend's detections, with the model's class names (slow: the g++ compile)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qnnflow.data.shapes import CLASS_NAMES
from qnnflow.driver import Accelerator, DetectionPipeline
from qnnflow.driver.backend_choice import has_gxx
from tests.conftest import REPO_ROOT
from tests.driver.notebook_package import THRESH, make_deploy_package

README_DEPLOY = "build/tinier-yolo-mini/deploy"
README_IMAGE = "images/00000.jpg"


def readme_offboard_line() -> str:
    (line,) = [
        ln.strip()
        for ln in (REPO_ROOT / "README.md").read_text().splitlines()
        if "run_on_board" in ln and ln.strip().startswith("cd ")
    ]
    return line


@pytest.mark.slow
def test_readme_sim_command_runs_from_the_deploy_folder(mini_folded, tmp_path):
    if not has_gxx():
        pytest.skip("needs g++")
    package = make_deploy_package(mini_folded, tmp_path / "deploy")
    image = "images/sample0.png"
    line = readme_offboard_line()
    assert README_DEPLOY in line and README_IMAGE in line and "--backend sim" in line
    command = line.replace(README_DEPLOY, str(package)).replace(README_IMAGE, image)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    run = subprocess.run(
        ["bash", "-c", f"{command} --thresh {THRESH}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stderr.startswith("backend: sim (the g++ simulation"), run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith(f"{image}: Predicted in ")
    printed = [ln for ln in lines[1:] if not ln.startswith("timings (ms): ")]
    pipeline = DetectionPipeline(Accelerator(package, backend="python"), thresh=THRESH)
    expected = pipeline.run_file(package / image).lines
    assert printed == expected and expected
    assert {ln.split(":")[0] for ln in printed} <= set(CLASS_NAMES)
