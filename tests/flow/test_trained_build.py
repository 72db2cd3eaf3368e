"""The whole build on the trained Tinier-YOLO parameters: every step verified, folded for the
PYNQ-Z2 within its budget."""

from __future__ import annotations

import json

import pytest

from qnnflow.flow import BuildConfig, run_build, tool_free_step_names
from qnnflow.transforms.fold.auto_fold import DEFAULT_CAPS


@pytest.mark.slow  # ~16 min on 2 cores: CI runs it through `make test-golden`
def test_trained_tinier_yolo_builds_and_fits(tinier_yolo_dir, tmp_path):
    cfg = BuildConfig(model=tinier_yolo_dir / "tinier_yolo_w1a3.npz", output_root=tmp_path)
    result = run_build(cfg)
    assert result.ran == tool_free_step_names()
    out = tmp_path / "tinier_yolo_w1a3"
    estimate = json.loads((out / "estimate.json").read_text())
    assert estimate["fps"] > 30
    # the caps hold for the whole design, width converters and FIFOs included
    assert all(v <= DEFAULT_CAPS[k] for k, v in estimate["utilization"].items())
    folding = json.loads((out / "folding_config.json").read_text())
    assert folding["conv6_mvu"]["mem_mode"] == "stream_ddr"
    assert json.loads((out / "verify" / "verify.json").read_text())["passed"]
    # a Darknet model: the board decodes its images with stb_image, as Darknet does
    assert json.loads((out / "deploy" / "accelerator.json").read_text())["decoder"] == "darknet"
