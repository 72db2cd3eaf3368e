"""Darknet's own yolov2-tiny.cfg at 416x416 (random weights, W1A3) folds onto the PYNQ-Z2
whole in fabric at 30 fps or more: its width converters and banked frame buffers push LUT
and block RAM over the caps at AutoFold's fastest folding and at every single scale of the
caps, so the fold step needs its ladder of target rates (flow/cap_search.py). Slow: the
whole build to fold (~20 s)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qnnflow.flow import BuildConfig, run_build
from qnnflow.frontend.darknet import load_network, write_weights
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.transforms.fold.auto_fold import DEFAULT_CAPS

ROOT = Path(__file__).resolve().parents[2]
CFG = ROOT / "tests" / "frontend" / "darknet" / "cfgs" / "yolov2-tiny.cfg"
CALIB = ROOT / "data" / "models" / "tinier-yolo-mini-calib"


@pytest.mark.slow
def test_yolov2_tiny_416_folds_within_every_cap(tmp_path):
    cfg = tmp_path / "yolov2-tiny.cfg"
    shutil.copy(CFG, cfg)
    network = load_network(cfg)
    write_weights(cfg.with_suffix(".weights"), random_weights(network, seed=0), network)
    shutil.copytree(CALIB, tmp_path / "yolov2-tiny-calib")
    result = run_build(
        BuildConfig(model=cfg, scheme="w1a3", output_root=tmp_path / "out", to_step="fold")
    )
    estimate = json.loads((result.output_dir / "estimate.json").read_text())
    used = estimate["utilization"]
    for resource, cap in DEFAULT_CAPS.items():
        assert used.get(resource, 0.0) <= cap, (resource, used)
    assert estimate["fps"] >= 30
