"""Small folded models built through the project's flow for the driver tests: the default
tinier-yolo-mini at 64x64, and the same with its last conv (the linear head, emitting
accumulators) streaming weights from DDR (so its output leaves the accelerator
channel-group-major)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.flow import BuildConfig, run_build
from qnnflow.flow.config import saved_step_path
from tests.conftest import DEFAULT_CFG

SIZE = (64, 64)
DDR_LAYER = "l013_conv_mvu"
DDR_PE = 5  # the head has 45 output channels at 4 classes: 9 channel groups


def _calib(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        pixels = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.png")
    return folder


def build_folded(root: Path, stream_ddr: bool = False) -> ModelWrapper:
    """The default model through the build up to `fold` (about 3 s)."""
    calib = _calib(root / "calib")
    kw = {}
    if stream_ddr:
        build_folded(root / "plain")
        plain = BuildConfig(model=DEFAULT_CFG, output_root=root / "plain" / "out")
        to_hw = ModelWrapper(str(saved_step_path(plain, "to_hw")))
        saved = json.loads(
            (root / "plain" / "out" / "tinier-yolo-mini" / "folding_config.json").read_text()
        )
        hw = {n.name for n in to_hw.graph.node if n.domain == "qnnflow.ops"}  # no FIFOs yet
        config = {k: v for k, v in saved.items() if k in hw}
        channels = next(n for n in to_hw.graph.node if n.name == DDR_LAYER).attribute
        mh = next(a.i for a in channels if a.name == "MH")
        config[DDR_LAYER].update(mem_mode="stream_ddr", PE=DDR_PE)
        config[DDR_LAYER.replace("_mvu", "_swg")].update(frameBuffer=1, frameReplays=mh // DDR_PE)
        kw["folding"] = root / "folding.json"
        kw["folding"].write_text(json.dumps(config))
    cfg = BuildConfig(
        model=DEFAULT_CFG,
        output_root=root / "out",
        calib_dir=calib,
        input_size=SIZE,
        to_step="fold",
        **kw,
    )
    run_build(cfg)
    return ModelWrapper(str(saved_step_path(cfg, "fold")))
