"""`qnnflow build` without --model compiles the embedded default model from any folder (found
as package data, not relative to the working directory), and --calib-dir reaches the build."""

from __future__ import annotations

import pytest

import qnnflow.flow as flow_api
from qnnflow.cli import main
from qnnflow.errors import QnnflowError
from qnnflow.resources import default_model


@pytest.fixture
def seen(monkeypatch) -> dict:
    recorded: dict = {}

    def fake_run_build(cfg, on_step=None):
        recorded.update(model=cfg.model, weights=cfg.weights, calib_dir=cfg.calib_dir)
        raise QnnflowError("stop here")

    monkeypatch.setattr(flow_api, "run_build", fake_run_build)
    return recorded


def test_default_model_is_package_data(seen, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no data/models/ here
    assert main(["build", "--out", str(tmp_path / "b")]) == 2
    model = default_model()
    assert seen["model"] == model and model.is_file()
    assert seen["weights"] == model.with_suffix(".weights") and seen["weights"].is_file()
    assert seen["calib_dir"] == model.with_name("tinier-yolo-mini-calib")
    assert seen["calib_dir"].is_dir()


def test_calib_dir_reaches_the_build(seen, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    assert main(["build", "--calib-dir", str(images), "--out", str(tmp_path / "b")]) == 2
    assert seen["calib_dir"] == images
