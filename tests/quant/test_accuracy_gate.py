"""The accuracy gate: a harmless quantization passes, a destructive one fails with advice and
exit code 2 (through the real CLI entry point)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qnnflow.cli import cli, main
from qnnflow.commands.verify_accuracy import verify_accuracy_cmd
from qnnflow.errors import QnnflowError
from qnnflow.quant.accuracy_gate import SUGGESTIONS, compare_models, enforce
from tests.data.shape_detector import (
    coarse_size_quant,
    input_quant,
    plain_dataset,
    shape_detector,
)

SIZE = 64
IMAGES = 16


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("gate")
    paths = {}
    for name, build in (
        ("float", shape_detector),
        ("good", input_quant),
        ("bad", coarse_size_quant),
    ):
        paths[name] = root / f"{name}.onnx"
        build(SIZE).save(str(paths[name]))
    paths["data"] = plain_dataset(root / "data", SIZE, IMAGES, seed=4)
    return paths


@pytest.fixture
def qnnflow_cli(monkeypatch):
    """`qnnflow.cli.main` with verify-accuracy attached (as commands/__init__.py will)."""
    monkeypatch.setitem(cli.commands, "verify-accuracy", verify_accuracy_cmd)
    return main


def test_harmless_quantization_passes(setup):
    result = compare_models(setup["float"], setup["good"], setup["data"])
    assert result.float_score.result.mean_ap > 0.6
    assert result.drop == pytest.approx(0.0) and result.passed
    enforce(result)  # does not raise


def test_destructive_quantization_fails_with_advice(setup):
    result = compare_models(setup["float"], setup["bad"], setup["data"], max_drop=5.0)
    assert result.drop > 20 and not result.passed
    with pytest.raises(QnnflowError, match="accuracy gate failed") as caught:
        enforce(result)
    assert all(s in str(caught.value) for s in SUGGESTIONS)
    loose = compare_models(setup["float"], setup["bad"], setup["data"], max_drop=100.0)
    assert loose.passed


def test_cli_exit_codes_and_json(setup, qnnflow_cli, capsys):
    common = ["--float", str(setup["float"]), "--data", str(setup["data"]), "--max-images", "8"]
    assert qnnflow_cli(["verify-accuracy", *common, "--quant", str(setup["good"]), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["passed"] and payload["float"]["images"] == 8
    assert payload["float"]["map50"] == payload["quant"]["map50"] > 0.5
    assert qnnflow_cli(["verify-accuracy", *common, "--quant", str(setup["bad"])]) == 2
    captured = capsys.readouterr()
    assert "FAILED" in captured.out and "mAP" in captured.out
    assert captured.err.startswith("error: accuracy gate failed") and "QAT" in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_cli_bad_input_is_one_line(setup, qnnflow_cli, capsys):
    base = ["verify-accuracy", "--float", str(setup["float"]), "--quant", str(setup["good"])]
    assert qnnflow_cli([*base, "--data", str(setup["data"]), "--split", "dev"]) == 2
    assert "no split 'dev'" in capsys.readouterr().err
    assert qnnflow_cli([*base, "--data", str(setup["data"]), "--max-drop", "-1"]) == 2
    assert "--max-drop must be >= 0" in capsys.readouterr().err
    missing = ["verify-accuracy", "--float", "nope.onnx", "--quant", str(setup["good"])]
    assert qnnflow_cli([*missing, "--data", str(setup["data"])]) == 2
    assert "model not found: nope.onnx" in capsys.readouterr().err


def test_click_command_runs_standalone(setup):
    args = ["--float", str(setup["float"]), "--quant", str(setup["good"])]
    result = CliRunner().invoke(
        verify_accuracy_cmd, [*args, "--data", str(setup["data"]), "--max-images", "4"]
    )
    assert result.exit_code == 0, result.output
    assert "passed" in result.output


def test_gate_runs_the_projects_own_w1a3_model(tmp_path, default_cfg, setup):
    """The default Darknet model and its W1A3 quantization (BipolarQuant/Quant nodes, run by
    qonnx) go through the same path; random weights score near 0, so only the plumbing and
    the numbers' ranges are checked here."""
    from qnnflow.data.reader import DetectionDataset
    from qnnflow.frontend.darknet import import_darknet
    from qnnflow.quant.w1a3 import quantize_w1a3
    from qnnflow.yolo import network_input

    model = import_darknet(default_cfg, default_cfg.with_suffix(".weights"), input_size=(64, 64))
    data = DetectionDataset(setup["data"])
    batch = [network_input(data[i].image, 64, 64) for i in range(3)]
    quant = quantize_w1a3(model, batch, "minmax")
    assert any(n.op_type == "BipolarQuant" for n in quant.graph.node)
    model.save(str(tmp_path / "f.onnx"))
    quant.save(str(tmp_path / "q.onnx"))
    result = compare_models(tmp_path / "f.onnx", tmp_path / "q.onnx", setup["data"], max_images=3)
    assert result.quant_score.images == 3
    for score in (result.float_score, result.quant_score):
        assert 0.0 <= score.result.mean_ap <= 1.0
    assert result.passed == (result.drop <= 5.0)
