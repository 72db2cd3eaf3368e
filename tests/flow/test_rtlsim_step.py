"""The opt-in rtlsim step and `qnnflow sim --level rtl`: the step passes the model through
unless --rtlsim asks for it (and asking reruns no other step), writes rtlsim/rtlsim.json
with per-layer cycles and the verdict when asked, and names the op types that have no RTL
renderer yet instead of failing inside Verilator."""

from __future__ import annotations

import json

import pytest

from qnnflow.backends.rtl.renderers import RENDERERS
from qnnflow.cli import main
from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig
from qnnflow.flow.rtlsim_step import RTLSIM_FILE, step_rtlsim
from qnnflow.flow.steps import OPT_IN, step_names
from tests.backends.rtl.test_network import plumbing_chain


def test_without_rtlsim_the_step_passes_the_model_through(default_cfg, mini_folded, tmp_path):
    cfg = BuildConfig(model=default_cfg, output_root=tmp_path)
    assert not cfg.rtlsim and "rtlsim" in OPT_IN
    assert step_names().index("rtlsim") == step_names().index("cppsim") + 1
    assert step_rtlsim(mini_folded, cfg) is mini_folded
    assert not cfg.output_dir.exists()
    asked = BuildConfig(model=default_cfg, output_root=tmp_path, rtlsim=True)
    assert cfg.fingerprint() == asked.fingerprint()  # asking reruns no other step


def test_op_types_without_an_rtl_renderer_stop_the_step_by_name(
    default_cfg, mini_folded, tmp_path, monkeypatch
):
    monkeypatch.delitem(RENDERERS, "MatrixVectorUnit", raising=False)
    cfg = BuildConfig(model=default_cfg, output_root=tmp_path, rtlsim=True)
    with pytest.raises(QnnflowError, match="no RTL renderer for op type.*MatrixVectorUnit"):
        step_rtlsim(mini_folded, cfg)


def test_rtlsim_step_and_sim_command_on_a_plumbing_graph(tmp_path, capsys):
    model = plumbing_chain()
    path = tmp_path / "chain.onnx"
    model.save(str(path))
    cfg = BuildConfig(model=path, output_root=tmp_path / "out", rtlsim=True)
    assert step_rtlsim(model, cfg) is model
    record = json.loads((cfg.output_dir / RTLSIM_FILE).read_text())
    assert record["bit_exact"] and record["first_mismatch"] is None
    assert [r["cycles_rtl"] for r in record["layers"]] == [24, 36, 36, 36]
    assert [r["cycles_estimate"] for r in record["layers"]] == [24, 36, 36, 36]
    assert record["cycles_per_frame"] == 36
    assert main(["sim", str(path), "--level", "rtl", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["bit_exact"] and printed["rtl_cycles_per_frame"] == 36
    assert printed["cycles"]["StreamingFIFO_0"] == printed["estimates"]["StreamingFIFO_0"] == 24
