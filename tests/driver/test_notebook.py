"""The on-board demo notebook executed headless (nbclient) against a package exported from the
small folded model, with the backend forced to "python" through QNNFLOW_BACKEND: its printed
detection lines equal the pipeline's own, and every image gets a timing line and a drawing."""

from __future__ import annotations

import json
import re

import pytest

from qnnflow.driver import Accelerator, DetectionPipeline
from qnnflow.driver.notebook_helpers import IMAGES_DIR, list_images
from tests.driver.notebook_package import NOTEBOOK, THRESH, make_deploy_package

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4"/></svg>'
TIMING = re.compile(r"^timings \(ms\): load [\d.]+ \| letterbox [\d.]+ \|.* \| total [\d.]+$")


def _execute(package, monkeypatch, **env):
    """Run every cell with the package folder as working directory; the executed notebook."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    notebook = nbformat.read(package / NOTEBOOK.name, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(package)}},
    )
    client.execute()
    return notebook


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _add_report(package) -> str:
    """A build report's board copy as the report step writes it (index, headline, one
    plot); the headline's text."""
    folder = package / "report"
    folder.mkdir()
    headline = "# qnnflow build report: mini\n\n| | |\n|---|---|\n| fps (accelerator) | 123.4 |\n"
    (folder / "headline.md").write_text(headline)
    (folder / "cycles.svg").write_text(SVG)
    index = {"headline": "headline.md", "plots": [{"file": "cycles.svg", "title": "Cycles"}]}
    (folder / "index.json").write_text(json.dumps(index))
    return headline


def test_notebook_runs_headless_with_the_python_backend(mini_folded, tmp_path, monkeypatch):
    package = make_deploy_package(mini_folded, tmp_path / "deploy")
    headline = _add_report(package)
    notebook = _execute(package, monkeypatch, QNNFLOW_BACKEND="python", QNNFLOW_THRESH=str(THRESH))
    code = [c for c in notebook.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    text = "\n".join(_text(c) for c in code)
    lines = text.splitlines()
    assert any(line.startswith("backend: python (numpy execution") for line in lines), text
    assert "2 image(s)" in lines

    pipeline = DetectionPipeline(Accelerator(package, backend="python"), thresh=THRESH)
    expected = []
    for path in list_images(package / IMAGES_DIR):
        result = pipeline.run_file(path)
        expected += [f"{path.name}: {len(result.lines)} detection(s)", *result.lines]
    assert any(":" in line and line.endswith("%") for line in expected), "needs detections"
    printed = [line for line in lines if not line.startswith(("timings", "mean", "pipeline"))]
    start = printed.index(expected[0])
    assert printed[start : start + len(expected)] == expected

    assert sum(bool(TIMING.match(line)) for line in lines) == 2, text
    assert any(line.startswith("mean over 2 image(s) (ms): ") for line in lines)
    assert any(re.match(r"pipeline: [\d.]+ fps", line) for line in lines)
    assert "webcam loop off" in text
    pictures = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pictures) == 2
    shown = [o["data"] for c in code for o in c.outputs if o.output_type == "display_data"]
    assert [d["text/markdown"] for d in shown if "text/markdown" in d] == [headline]
    assert [d["image/svg+xml"] for d in shown if "image/svg+xml" in d] == [SVG]


def test_notebook_is_valid_and_tags_its_parameters():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "QNNFLOW_BACKEND" in tagged[0].source
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
