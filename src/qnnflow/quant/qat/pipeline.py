"""cfg(+weights) + dataset folder -> trained model -> Darknet cfg+weights, QONNX export and a
JSON log: what `qnnflow train` and flows/train_default.py run."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from qnnflow.errors import QnnflowError
from qnnflow.quant.qat.clips import CLIPS_KEY, clips_of, find_start_clips
from qnnflow.quant.qat.darknet_io import (
    build_from_darknet,
    darknet_params,
    load_darknet_params,
    save_darknet,
)
from qnnflow.quant.qat.dataset import load_detection_set
from qnnflow.quant.qat.export import export_qat_qonnx
from qnnflow.quant.qat.model import DarknetQatNet
from qnnflow.quant.qat.scheme import QatScheme
from qnnflow.quant.qat.trainer import TrainOptions, loss_config, train
from qnnflow.util.atomic import atomic_write_text


def calibrate_act_max(
    model: DarknetQatNet, images: np.ndarray, percentile: float = 99.9
) -> dict[int, float]:
    """Per conv (all but the last), the activation percentile on `images`: the start value
    of each learned 3-bit clip when a float model is fine-tuned to W1A3."""
    found: dict[int, list[np.ndarray]] = {}
    hooks = []
    for block in model.conv_blocks():
        if block.role == "last":
            continue

        def keep(_m, _i, out, index=block.index):
            found.setdefault(index, []).append(out.detach().cpu().numpy().ravel())

        hooks.append(block.register_forward_hook(keep))
    model.eval()
    with torch.no_grad():
        for start in range(0, len(images), 16):
            model(torch.from_numpy(images[start : start + 16]))
    for hook in hooks:
        hook.remove()
    return {
        i: max(float(np.percentile(np.concatenate(v), percentile)), 1e-3) for i, v in found.items()
    }


def quantized_start(
    cfg: Path,
    weights: Path | None,
    scheme: QatScheme,
    float_model: DarknetQatNet,
    images: np.ndarray,
    seed: int = 0,
) -> tuple[DarknetQatNet, dict[int, float], str]:
    """The QAT model to fine-tune, its start clips and where they came from: the clips the
    start weights were trained with when they carry them (W1A3 weights), else calibrated
    on `images` from the float forward (float weights)."""
    clips, source = find_start_clips(weights, float_model.network) if weights else ({}, "")
    expected = [layer.index for layer in float_model.network.conv_layers[:-1]]
    if clips and sorted(clips) != expected:
        raise QnnflowError(
            f"{source}: activation clips for conv layers {sorted(clips)}, but "
            f"{float_model.network.path} has activations after conv layers {expected}"
        )
    if not clips:
        clips, source = calibrate_act_max(float_model, images), "calibrated"
    _, model = build_from_darknet(cfg, None, scheme, clips, seed=seed)
    load_darknet_params(model, darknet_params(float_model))
    return model, clips, source


def train_darknet(
    cfg: Path,
    weights: Path | None,
    data_dir: Path,
    scheme: QatScheme,
    opts: TrainOptions,
    out_dir: Path,
    name: str,
    split: str = "train",
    limit: int | None = None,
) -> dict:
    """Train and write OUT/<name>.cfg, .weights, .onnx (QONNX) and .train.json; returns
    the log. A quantized scheme starts its clips from those the start weights were trained
    with (W1A3 weights) or else from the float model's activations."""
    network, model = build_from_darknet(cfg, weights, QatScheme("float"), seed=opts.seed)
    classes = loss_config(model).classes
    data = load_detection_set(
        data_dir, split, network.net.width, network.net.height, classes, limit
    )
    act_max, clips_source = None, None
    if scheme.quantized:
        model, act_max, clips_source = quantized_start(
            cfg, weights, scheme, model, data.images[:64], opts.seed
        )
    result = train(model, data, opts)
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg_out, weights_out = save_darknet(model, cfg, out_dir, name, seen=result.images_seen)
    export_qat_qonnx(model, out_dir / f"{name}.onnx")
    record = {
        "cfg": str(cfg_out),
        "weights": str(weights_out),
        "qonnx": str(out_dir / f"{name}.onnx"),
        "scheme": asdict(scheme),
        "options": asdict(opts),
        "images": len(data.images),
        "initial_act_max": act_max,
        "initial_act_max_from": clips_source,
        CLIPS_KEY: clips_of(model) or None,
        "epochs": result.epochs,
    }
    atomic_write_text(out_dir / f"{name}.train.json", json.dumps(record, indent=2))
    return record
