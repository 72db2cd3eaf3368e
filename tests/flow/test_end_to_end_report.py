"""The micro build's estimate carries the end-to-end pipeline (estimate.json, estimate.md,
report.md) with host parts read from its own graph; an end-to-end target the host stages
cannot reach is refused, naming the stage. No assertion depends on this machine's speed."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.end_to_end_table import HEADING, end_to_end_markdown
from qnnflow.analysis.estimate import estimate_network
from qnnflow.boards import load_board
from qnnflow.commands.estimate import estimate_cmd
from qnnflow.errors import QnnflowError
from qnnflow.flow.fold_step import estimate_with_end_to_end, fold_model
from qnnflow.resources import boards_dir
from tests.flow.micro import micro_config

STAGES = ["host", "DMA", "accelerator"]


def test_the_micro_build_reports_the_end_to_end_pipeline(micro_build):
    _, root = micro_build
    out = root / "micro"
    data = json.loads((out / "estimate.json").read_text())
    e2e = data["end_to_end"]
    assert [s["name"] for s in e2e["stages"]] == STAGES
    stages = {s["name"]: s for s in e2e["stages"]}
    # the micro graph leaves its input quantizer before and its last conv after the hardware
    assert list(stages["host"]["parts"]) == [
        *("letterbox", "host nodes before", "pack"),
        *("unpack", "host nodes after", "decode + NMS"),
    ]
    assert e2e["host_model"].startswith("workers: host throughput = cores / (pre + post")
    assert stages["accelerator"]["board_ms"] == pytest.approx(1e3 / data["fps"])
    for stage in stages.values():
        if stage["here_ms"] is not None:  # one factor carries every host time to the board
            assert stage["board_ms"] == pytest.approx(stage["here_ms"] * e2e["factor"])
            assert sum(stage["parts"].values()) == pytest.approx(2 * stage["board_ms"])
    assert e2e["factor"] == pytest.approx(e2e["conv0_board_ms"] / e2e["conv0_here_ms"])
    slowest = max(e2e["stages"], key=lambda s: s["board_ms"])
    assert e2e["slowest_stage"] == slowest["name"]
    assert e2e["fps"] == pytest.approx(1e3 / slowest["board_ms"])
    for name in ("estimate.md", "report.md"):
        text = (out / name).read_text()
        assert HEADING in text and "| accelerator | PL | - |" in text, name
        assert f"end to end: {e2e['fps']:,.1f} fps, set by {e2e['slowest_stage']}" in text


def _board_file(tmp_path, conv0_ms: float | None):
    """The PYNQ-Z2's board.yaml with another numpy conv0 time (None: without one)."""
    data = yaml.safe_load((boards_dir() / "pynq_z2" / "board.yaml").read_text())
    data["ps"]["numpy_conv0_ms"] = conv0_ms
    if conv0_ms is None:
        del data["ps"]["numpy_conv0_ms"]
    path = tmp_path / "board.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _slow_host_board(tmp_path):
    """The PYNQ-Z2 whose ARM took a day for the reference conv: every host stage is slow."""
    return _board_file(tmp_path, 86_400_000.0)


def test_a_board_without_the_reference_gets_no_end_to_end_estimate(micro_build, tmp_path):
    _, root = micro_build
    model = ModelWrapper(str(root / "micro" / "08_fold.onnx"))
    board = load_board(str(_board_file(tmp_path, None)))
    data = estimate_with_end_to_end(model, board, estimate_network(model, board))
    assert data["fps"] > 0  # the accelerator's estimate stands
    assert data["end_to_end"]["fps"] is None
    assert "no ps.numpy_conv0_ms" in data["end_to_end"]["reason"]
    assert "end to end: not estimated: board 'pynq_z2' has no ps.numpy_conv0_ms" in (
        end_to_end_markdown(data["end_to_end"])
    )


def test_an_end_to_end_target_the_host_cannot_reach_is_refused(micro_build, tmp_path):
    _, root = micro_build
    model = ModelWrapper(str(root / "micro" / "07_to_hw.onnx"))
    board = load_board(str(_slow_host_board(tmp_path)))
    with pytest.raises(QnnflowError, match=r"end-to-end target 1 fps .* the host stage"):
        fold_model(model, board, 1.0, target_scope="end-to-end")
    folded = fold_model(model, board, 1.0)  # the accelerator alone reaches it
    assert folded.graph.node


def test_estimate_cli_refuses_and_reports_end_to_end(micro_build, tmp_path):
    _, root = micro_build
    path = root / "micro" / "07_to_hw.onnx"
    board = str(_slow_host_board(tmp_path))
    args = [str(path), "--board", board, "--target-fps", "1"]
    refused = CliRunner().invoke(estimate_cmd, [*args, "--target-scope", "end-to-end"])
    assert refused.exit_code != 0
    assert "out of reach" in str(refused.exception)
    result = CliRunner().invoke(estimate_cmd, [str(path), "--json"])
    assert result.exit_code == 0, result.output
    stages = json.loads(result.output)["end_to_end"]["stages"]
    assert [s["name"] for s in stages] == STAGES


def test_build_config_refuses_an_unknown_target_scope(micro_build):
    model, root = micro_build
    with pytest.raises(QnnflowError, match="--target-scope must be one of accelerator, end-to"):
        micro_config(model, root, target_scope="host")
