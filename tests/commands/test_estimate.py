"""`qnnflow estimate` folds with the build's own fold function: on the same graph it gives
the build's folding, layers (width converters and FIFOs included) and frame rate."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qnnflow.commands.estimate import estimate_cmd
from qnnflow.flow.config import BuildConfig
from qnnflow.flow.fold_step import step_fold
from qnnflow.frontend.binparams import hidden_layers_model
from tests.transforms.fold.test_folding import small_params


@pytest.fixture
def hw_graph(tmp_path):
    model = hidden_layers_model(small_params())
    path = tmp_path / "hw.onnx"
    model.save(str(path))
    return model, path


def test_estimate_matches_the_build_fold_step(hw_graph, tmp_path):
    model, path = hw_graph
    cfg = BuildConfig(model=path, output_root=tmp_path / "build")
    cfg.output_dir.mkdir(parents=True)
    step_fold(model, cfg)
    build_estimate = json.loads((cfg.output_dir / "estimate.json").read_text())
    build_folding = json.loads((cfg.output_dir / "folding_config.json").read_text())

    saved = tmp_path / "folding.json"
    result = CliRunner().invoke(estimate_cmd, [str(path), "--json", "--save-config", str(saved)])
    assert result.exit_code == 0, result.output
    estimate = json.loads(result.output)
    assert json.loads(saved.read_text()) == build_folding
    assert estimate["fps"] == pytest.approx(build_estimate["fps"])
    names = [layer["name"] for layer in estimate["layers"]]
    assert names == [layer["name"] for layer in build_estimate["layers"]]
    assert any(name.endswith("_fifo") for name in names)  # the plumbing is estimated too


def test_estimate_applies_a_folding_config_like_the_build(hw_graph, tmp_path):
    model, path = hw_graph
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"conv1_mvu": {"PE": 2, "SIMD": 4}}))
    cfg = BuildConfig(model=path, output_root=tmp_path / "build", folding=config)
    cfg.output_dir.mkdir(parents=True)
    step_fold(model, cfg)
    build_estimate = json.loads((cfg.output_dir / "estimate.json").read_text())
    result = CliRunner().invoke(estimate_cmd, [str(path), "--json", "--folding", str(config)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["layers"] == build_estimate["layers"]
