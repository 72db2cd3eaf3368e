"""The deployment README rendered from the board template and a real package: every
placeholder filled, the commands name the package's zip, folder, notebook and module."""

from __future__ import annotations

import json
import re

import pytest

from qnnflow.backends.deploy.export import export_driver_package
from qnnflow.backends.deploy.readme import (
    NOTEBOOK_NAME,
    fps_from_estimate,
    render_deploy_readme,
    write_deploy_readme,
)
from qnnflow.errors import QnnflowError
from tests.conftest import REPO_ROOT

TEMPLATE = REPO_ROOT / "boards" / "pynq_z2" / "deploy_README.md.in"


@pytest.fixture(scope="module")
def package(mini_folded, tmp_path_factory):
    return export_driver_package(
        mini_folded, tmp_path_factory.mktemp("readme") / "deploy", names=["cat", "dog", "a", "b"]
    )


def _commands(text: str) -> list[str]:
    return re.findall(r"```sh\n\s*(.+?)\n\s*```", text)


def test_readme_fills_every_placeholder(package):
    text = render_deploy_readme(package, TEMPLATE.read_text(), "tinier-yolo-mini", fps=12.34)
    assert "$" not in text
    assert text.startswith("# tinier-yolo-mini on the PYNQ-Z2\n")
    assert "(64x64 input, 4 classes:\n`cat`, `dog`, `a`, `b`)" in text
    assert "12.3 fps estimated for the accelerator by the build (not measured)" in text
    assert f"`{package.bitfile}` not built yet" in text
    assert f"8-bit in (12288 bytes per frame), {package.output.bits}-bit out\n" in text
    assert f"({package.output.frame_bytes} bytes per frame)" in text
    assert "none (all weights on chip)" in text
    copy, run = _commands(text)
    assert copy.startswith("scp deploy.zip xilinx@pynq:/home/xilinx/jupyter_notebooks/")
    assert copy.endswith('unzip -o deploy.zip -d tinier-yolo-mini"')
    assert "cd /home/xilinx/jupyter_notebooks/tinier-yolo-mini &&" in run
    module = re.search(r"PYTHONPATH=runtime python3 -m ([\w.]+) \.\"$", run).group(1)
    # the command's module is in the package's runtime copy, where PYTHONPATH points
    assert (package.root / "runtime" / (module.replace(".", "/") + ".py")).is_file()
    assert f"notebooks/tinier-yolo-mini/{NOTEBOOK_NAME}" in text


def test_readme_without_fps_and_with_bitstream(package):
    text = render_deploy_readme(
        package, TEMPLATE.read_text(), "m", zip_name="m.zip", bitstream_present=True
    )
    assert "no estimate given" in text and "not built yet" not in text
    assert _commands(text)[0].startswith("scp m.zip ")


def test_template_and_fps_errors(package):
    with pytest.raises(QnnflowError, match="unknown or malformed placeholder 'typo'"):
        render_deploy_readme(package, "# $model $typo", "m")
    with pytest.raises(QnnflowError, match="fps must be positive, got 0"):
        render_deploy_readme(package, "# $model", "m", fps=0)


def test_fps_from_estimate_and_write(package, tmp_path):
    estimate = tmp_path / "estimate.json"
    assert fps_from_estimate(estimate) is None
    estimate.write_text(json.dumps({"hardware_layers": 0}))
    assert fps_from_estimate(estimate) is None
    estimate.write_text(json.dumps({"fps": 31.5, "latency_ms": 40}))
    assert fps_from_estimate(estimate) == 31.5
    (package.root / package.bitfile).write_bytes(b"bit")
    try:
        path = write_deploy_readme(package.root, TEMPLATE, "mini", fps_from_estimate(estimate))
    finally:
        (package.root / package.bitfile).unlink()
    text = path.read_text()
    assert path == package.root / "README.md" and "31.5 fps" in text
    assert f"- Bitstream: `{package.bitfile}`\n" in text
