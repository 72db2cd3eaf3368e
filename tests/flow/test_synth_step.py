"""The opt-in synth step: it passes the model through unless --synth asks for it, a pass-
through record does not count as done once it is asked for, `qnnflow synth` needs a folded
build, and the report shows synth.json only for the folding it measured."""

from __future__ import annotations

import json

import pytest

from qnnflow.cli import main
from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig
from qnnflow.flow.fold_step import _resource_factors
from qnnflow.flow.runner import _still_valid
from qnnflow.flow.steps import OPT_IN, step_names
from qnnflow.flow.synth_step import folding_digest, step_synth, synth_section


def test_without_synth_the_step_passes_the_model_through(default_cfg, mini_folded, tmp_path):
    cfg = BuildConfig(model=default_cfg, output_root=tmp_path)
    assert not cfg.synth and "synth" in OPT_IN and "synth" in step_names()
    assert step_synth(mini_folded, cfg) is mini_folded
    assert not cfg.output_dir.exists()


def test_a_pass_through_record_reruns_when_synth_is_asked(default_cfg, tmp_path):
    out = tmp_path / "tinier-yolo-mini"
    out.mkdir()
    saved = out / "13_synth.onnx"
    saved.write_bytes(b"model")
    state = {"steps": {"synth": {"fingerprint": "f", "asked": False}}, "outputs": {"synth": {}}}
    plain = BuildConfig(model=default_cfg, output_root=tmp_path)
    asked = BuildConfig(model=default_cfg, output_root=tmp_path, synth=True)
    assert _still_valid(plain, state, "synth", saved, "f")
    assert not _still_valid(asked, state, "synth", saved, "f")
    state["steps"]["synth"]["asked"] = True
    assert _still_valid(asked, state, "synth", saved, "f")
    assert plain.fingerprint() == asked.fingerprint()  # asking reruns no other step


def test_synth_command_needs_a_folded_build(tmp_path, capsys):
    assert main(["synth", str(tmp_path)]) == 2
    assert "no NN_fold.onnx" in capsys.readouterr().err


def test_report_section_shows_synth_json_of_this_folding_only(mini_folded, tmp_path):
    assert "not run" in synth_section(tmp_path, mini_folded)
    summary = {
        "folding": "another",
        "layers": [],
        "totals": {},
        "budget": {},
        "not_synthesized": [],
        "factors": {},
    }
    (tmp_path / "synth.json").write_text(json.dumps(summary))
    assert "measured another folding" in synth_section(tmp_path, mini_folded)
    zero = dict.fromkeys(("LUT", "FF", "BRAM36", "LUTRAM", "DSP"), 0.0)
    summary.update(
        folding=folding_digest(mini_folded),
        totals={"estimate": zero, "synth": zero, "ratio": dict.fromkeys(zero)},
    )
    (tmp_path / "synth.json").write_text(json.dumps(summary))
    assert "| **total** |  | 0 / 0 (-) |" in synth_section(tmp_path, mini_folded)


def test_resources_synth_reads_the_build_folders_synth_json(default_cfg, tmp_path):
    with pytest.raises(QnnflowError, match="--resources must be one of estimate, synth"):
        BuildConfig(model=default_cfg, output_root=tmp_path, resources="vivado")
    assert _resource_factors(BuildConfig(model=default_cfg, output_root=tmp_path)) is None
    cfg = BuildConfig(model=default_cfg, output_root=tmp_path, resources="synth")
    with pytest.raises(QnnflowError, match="tinier-yolo-mini/synth.json not found"):
        _resource_factors(cfg)
    cfg.output_dir.mkdir()
    (cfg.output_dir / "synth.json").write_text(json.dumps({"factors": {"A": {"LUT": 0.5}}}))
    assert _resource_factors(cfg) == {"A": {"LUT": 0.5}}
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"factors": {"B": {"FF": 2}}}))
    explicit = BuildConfig(
        model=default_cfg, output_root=tmp_path, resources="synth", resource_factors=other
    )
    assert _resource_factors(explicit) == {"B": {"FF": 2.0}}
    assert explicit.fingerprint() != cfg.fingerprint()  # an explicit file is an input
