"""A small deterministic detection trainer: region loss, SGD or Adam, cosine or step LR,
light augmentation (horizontal flips, brightness jitter), CUDA when available."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet.layers import RegionLayer
from qnnflow.quant.qat.dataset import DetectionSet
from qnnflow.quant.qat.model import DarknetQatNet
from qnnflow.quant.qat.region_loss import RegionLossConfig, region_loss
from qnnflow.util import progress

log = logging.getLogger(__name__)


@dataclass
class TrainOptions:
    epochs: int = 10
    batch: int = 16
    lr: float = 1e-3
    optimizer: str = "adam"  # or "sgd" (momentum 0.9, weight decay 5e-4)
    schedule: str = "cosine"  # or "step" (x0.1 at 2/3 of the epochs)
    flip: bool = True
    brightness: float = 0.2  # multiply each image by U(1-b, 1+b)
    seed: int = 0
    device: str | None = None  # None: cuda if available, else cpu


@dataclass
class TrainLog:
    epochs: list[dict] = field(default_factory=list)
    images_seen: int = 0


def augment(x: np.ndarray, boxes: list[np.ndarray], opts: TrainOptions, rng: np.random.Generator):
    """Flip half the images left-right (cx -> 1 - cx) and scale their brightness."""
    x, boxes = x.copy(), [b.copy() for b in boxes]
    for i in range(len(x)):
        if opts.flip and rng.random() < 0.5:
            x[i] = x[i][:, :, ::-1]
            boxes[i][:, 1] = 1.0 - boxes[i][:, 1]
        if opts.brightness > 0:
            x[i] = np.clip(x[i] * rng.uniform(1 - opts.brightness, 1 + opts.brightness), 0, 1)
    return x, boxes


def _optimizer(model: DarknetQatNet, opts: TrainOptions) -> torch.optim.Optimizer:
    if opts.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=opts.lr)
    if opts.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=opts.lr, momentum=0.9, weight_decay=5e-4)
    raise QnnflowError(f"unknown optimizer '{opts.optimizer}' (adam or sgd)")


def _scheduler(opt: torch.optim.Optimizer, opts: TrainOptions):
    if opts.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(opts.epochs, 1))
    if opts.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=max(2 * opts.epochs // 3, 1))
    raise QnnflowError(f"unknown schedule '{opts.schedule}' (cosine or step)")


def loss_config(model: DarknetQatNet) -> RegionLossConfig:
    heads = model.heads
    if len(heads) != 1 or not isinstance(heads[0], RegionLayer):
        raise QnnflowError("training supports one YOLOv2 [region] head")
    return RegionLossConfig(tuple(heads[0].anchors), heads[0].classes)


def train(model: DarknetQatNet, data: DetectionSet, opts: TrainOptions) -> TrainLog:
    """Train in place; returns the mean loss (and its parts) per epoch."""
    if opts.epochs < 1 or opts.batch < 1:
        raise QnnflowError("epochs and batch must be at least 1")
    torch.manual_seed(opts.seed)
    rng = np.random.default_rng(opts.seed)
    device = opts.device or ("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device).train()
    cfg = loss_config(model)
    opt = _optimizer(model, opts)
    sched = _scheduler(opt, opts)
    result = TrainLog()
    for epoch in progress.track(range(opts.epochs), "training, epochs"):
        began = time.perf_counter()
        order = rng.permutation(len(data.images))
        sums: dict[str, float] = {}
        batches = 0
        for start in range(0, len(order), opts.batch):
            idx = order[start : start + opts.batch]
            x, boxes = augment(data.images[idx], [data.boxes[i] for i in idx], opts, rng)
            parts = region_loss(
                model(torch.from_numpy(x).to(device)),
                [torch.from_numpy(b) for b in boxes],
                cfg,
            )
            opt.zero_grad()
            parts["total"].backward()
            opt.step()
            for key, value in parts.items():
                sums[key] = sums.get(key, 0.0) + float(value.detach())
            batches += 1
            result.images_seen += len(idx)
        sched.step()
        record = {k: v / batches for k, v in sums.items()}
        record.update(epoch=epoch + 1, seconds=time.perf_counter() - began)
        record["lr"] = opt.param_groups[0]["lr"]
        result.epochs.append(record)
        log.info("epoch %d: loss %.4f", epoch + 1, record["total"])
    model.cpu().eval()
    return result
