"""The verify step's failure paths: a wrong, renamed, missing, reshaped or NaN output of the
tidied graph stops the build with one line naming the output; verify.json records it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig
from qnnflow.flow.verify_step import step_verify
from tests.verify.graphs import (
    SCALE,
    DropSecondHead,
    PoisonFirstHead,
    RenameFirstHead,
    ReshapeFirstHead,
    two_heads,
)


@pytest.fixture
def cfg(tmp_path) -> BuildConfig:
    """A build of the two-headed graph whose import step is saved."""
    source = tmp_path / "two_heads.onnx"
    two_heads().save(str(source))
    cfg = BuildConfig(model=source, output_root=tmp_path / "out")
    cfg.output_dir.mkdir(parents=True)
    two_heads().save(str(cfg.output_dir / "01_import.onnx"))
    return cfg


def _report(cfg: BuildConfig) -> dict:
    return json.loads((cfg.output_dir / "verify" / "verify.json").read_text())


def test_equal_graph_passes_and_every_output_is_checked_both_ways(cfg):
    step_verify(two_heads().transform(RenameFirstHead("renamed")), cfg)
    report = _report(cfg)
    assert report["passed"] and report["failures"] == {}
    assert sorted(report["max_relative_error"]) == [
        "onnxruntime_vs_qonnx:head2",
        "onnxruntime_vs_qonnx:renamed",
        "tidy_vs_import:head2",
        "tidy_vs_import:renamed",
    ]
    assert set(report["max_relative_error"].values()) == {0.0}


def test_a_change_within_the_float_tolerance_passes(cfg):
    step_verify(two_heads().transform(RenameFirstHead("head1", SCALE * (1 + 1e-6))), cfg)
    errors = _report(cfg)["max_relative_error"]
    assert 0 < errors["tidy_vs_import:head1"] <= cfg.verify_tolerance


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        (
            RenameFirstHead("renamed", SCALE * 1.5),
            r"\(tidy_vs_import\): output 'renamed': relative error 0.5 > tolerance 0.0001",
        ),
        (
            PoisonFirstHead(float("nan")),
            r"\(tidy_vs_import\): output 'head1': 1 non-finite value\(s\) \(NaN or inf\) in "
            "the result",
        ),
        (
            ReshapeFirstHead(),
            r"\(tidy_vs_import\): output 'head1': shape \(4, 1\) != expected \(1, 4\)",
        ),
    ],
)
def test_a_wrong_output_fails_and_is_named(cfg, transform, message):
    with pytest.raises(QnnflowError, match="verification failed " + message):
        step_verify(two_heads().transform(transform), cfg)
    report = _report(cfg)
    assert report["passed"] is False and len(report["failures"]) >= 1


def test_nan_in_both_imported_and_tidied_graph_fails(cfg):
    poisoned = two_heads().transform(PoisonFirstHead(float("nan")))
    poisoned.save(str(cfg.output_dir / "01_import.onnx"))
    with pytest.raises(QnnflowError, match="output 'head1': 1 non-finite value"):
        step_verify(poisoned, cfg)


def test_a_deleted_second_output_fails(cfg):
    with pytest.raises(QnnflowError, match=r"tidy_vs_import: 1 output\(s\) \['head1'\] where 2"):
        step_verify(two_heads().transform(DropSecondHead()), cfg)


def test_without_the_imported_graph_nothing_is_compared_so_it_fails(cfg):
    (cfg.output_dir / "01_import.onnx").unlink()
    with pytest.raises(QnnflowError, match="needs the saved import step"):
        step_verify(two_heads(), cfg)


def _integer_heads(offset: float) -> ModelWrapper:
    """head1 = x, head2 = x + offset on INT16 inputs, outputs annotated as integers."""
    model = two_heads()
    model.set_initializer("scale", np.ones_like(SCALE))
    model.set_initializer("one", np.full_like(SCALE, offset))
    model.set_tensor_datatype("x", DataType["INT16"])
    for out in model.graph.output:
        model.set_tensor_datatype(out.name, DataType["INT32"])
    return model


def test_integer_outputs_must_match_bit_exactly(cfg):
    _integer_heads(1.0).save(str(cfg.output_dir / "01_import.onnx"))
    step_verify(_integer_heads(1.0), cfg)
    assert _report(cfg)["bit_exact"] and _report(cfg)["tolerance"] == 0.0
    # off by one in values up to 32767: relative < 1e-4, within the float tolerance 1e-4
    with pytest.raises(QnnflowError, match=r"output 'head2': relative error \d\.\d+e-05 > toler"):
        step_verify(_integer_heads(2.0), cfg)
