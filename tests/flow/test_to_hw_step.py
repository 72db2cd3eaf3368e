"""The to_hw step says what stayed on the host: to_hw.json, one console line, the report;
it stops the build (exit 2, the host nodes at fault and the supported conversions) when
nothing converts or host nodes split the accelerator, before fold and codegen run."""

from __future__ import annotations

import json
import re

import pytest

from qnnflow.cli import main
from qnnflow.flow import BuildConfig, run_build
from qnnflow.flow.report import step_report
from qnnflow.frontend.onnx_import import open_onnx
from tests.transforms.to_hw.host_graphs import convs_then_host, float_gemm, split_by_softmax

pytestmark = pytest.mark.usefixtures("restore_logging")  # tests/conftest.py


def _build(graph, tmp_path, capsys, to_step: str = "codegen") -> tuple[int, str, str]:
    path = tmp_path / f"{graph.__name__}.onnx"
    graph().save(str(path))
    code = main(["build", "--model", str(path), "--out", str(tmp_path), "--to-step", to_step])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_host_nodes_between_hardware_layers_stop_the_build_at_to_hw(tmp_path, capsys):
    code, out, err = _build(split_by_softmax, tmp_path, capsys)
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0] == (
        "error: step 'to_hw': 4 host node(s) sit between hardware layers, splitting the "
        "accelerator (host nodes may only feed the hardware or read its outputs, where they "
        "run on the ARM):"
    )
    assert "  Softmax 'softmax': no hardware conversion for op type Softmax" in lines
    assert any(line.startswith("supported hardware conversions: ") for line in lines)
    folder = tmp_path / "split_by_softmax"
    assert lines[-1] == f"every host node with its reason: {folder / 'to_hw.json'}"
    record = json.loads((folder / "to_hw.json").read_text())
    assert record["problem"] and record["hardware_layers"] > 0
    assert {"softmax", "requant"} <= {n["name"] for n in record["host_nodes"]}
    assert not list(folder.glob("*_to_hw.onnx")) and not list(folder.glob("*_fold.onnx"))
    assert "✓ streamline" in out and "✓ to_hw" not in out


def test_nothing_in_hardware_stops_the_build_at_to_hw(tmp_path, capsys):
    code, _, err = _build(float_gemm, tmp_path, capsys)
    assert code == 2
    assert err.startswith(
        "error: step 'to_hw': nothing converted to hardware: all 3 nodes stay on the host"
    )
    assert "  Gemm 'fc': " in err and "ConvertConvThresholdToHW (Conv, MultiThreshold)" in err
    assert not (tmp_path / "float_gemm" / "estimate.json").exists()


def test_a_valid_region_prints_its_host_nodes_and_reports_them(tmp_path, capsys):
    code, out, err = _build(convs_then_host, tmp_path, capsys, to_step="fold")
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if "hardware layers;" in ln)
    assert re.fullmatch(
        r"  \d+ hardware layers; 4 nodes on the host, 2 before, 2 after the hardware region "
        r"\(Transpose x2, MultiThreshold, Sigmoid\); reasons in to_hw\.json",
        line,
    )
    folder = tmp_path / "convs_then_host"
    estimate = json.loads((folder / "estimate.json").read_text())
    assert estimate["fps"] > 0 and len(estimate["host_nodes"]) == 4
    cfg = BuildConfig(model=tmp_path / "convs_then_host.onnx", output_root=tmp_path)
    step_report(open_onnx(next(folder.glob("*_fold.onnx"))), cfg)
    report = (folder / "report.md").read_text()
    assert "## Conversion to hardware" in report and line.strip() in report
    assert "| sigmoid | Sigmoid | 1x4x3x3 | 0 | 0 | host |" in report
    assert "| sigmoid | Sigmoid | after the accelerator | no hardware conversion" in report
    data = json.loads((folder / "report.json").read_text())
    assert data["hardware_macs"] > 0 and data["host_macs"] == 0
    assert [n["name"] for n in data["host_nodes"]][-1] == "sigmoid"


def test_a_changed_to_hw_record_reruns_to_hw(tmp_path, capsys):
    _build(convs_then_host, tmp_path, capsys, to_step="to_hw")
    (tmp_path / "convs_then_host" / "to_hw.json").unlink()
    model = tmp_path / "convs_then_host.onnx"
    cfg = BuildConfig(model=model, output_root=tmp_path, to_step="to_hw")
    assert run_build(cfg).ran == ["to_hw"]
