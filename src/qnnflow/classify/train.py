"""Seeded, deterministic CPU training of a benchmark classifier from a folder-per-class dataset.

The network sees exactly what a reader of the PNGs computes: uint8 pixels / 255, then
(x - mean) / std per channel, with mean and std measured on the training split and rounded to
4 decimals (the rounded values are the ones recorded and used). Shuffling, initialisation and
augmentation all draw from `torch.manual_seed(seed)`, and deterministic algorithms are
required, so the same data, options and thread count give bit-identical weights.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from qnnflow.classify.datasets import Split
from qnnflow.classify.folder import read_split
from qnnflow.classify.models import build_model, model_def
from qnnflow.errors import QnnflowError
from qnnflow.util import progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """What a training run varies; recorded verbatim in <name>.train.json."""

    arch: str = "small-cnn"
    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 5e-4
    optimizer: str = "adamw"  # adamw | sgd (momentum 0.9, nesterov)
    schedule: str = "cosine"  # per step, no warmup
    augment: str = "none"  # none | shift (random +-2 px translation) | shift-flip
    seed: int = 0
    limit: int | None = None  # at most this many training images (a seeded random subset)

    def check(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or self.weight_decay < 0:
            raise QnnflowError(f"need epochs >= 1, batch >= 1, lr > 0, weight decay >= 0: {self}")
        if self.optimizer not in ("adamw", "sgd"):
            raise QnnflowError(f"optimizer must be adamw or sgd, got '{self.optimizer}'")
        if self.augment not in ("none", "shift", "shift-flip"):
            raise QnnflowError(f"augment must be none, shift or shift-flip, got '{self.augment}'")
        if self.limit is not None and self.limit < 1:
            raise QnnflowError(f"limit must be >= 1, got {self.limit}")


@dataclass
class TrainedClassifier:
    model: nn.Module  # eval mode
    record: dict


def channel_stats(images: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of uint8 (N, H, W, C) on the 0..1 scale, rounded to 4 places."""
    scaled = images.astype(np.float64) / 255.0
    mean = [round(float(v), 4) for v in scaled.mean(axis=(0, 1, 2))]
    std = [max(round(float(v), 4), 1e-4) for v in scaled.std(axis=(0, 1, 2))]
    return mean, std


def normalise(images: np.ndarray, mean: list[float], std: list[float]) -> torch.Tensor:
    """uint8 (N, H, W, C) -> float32 (N, C, H, W): x / 255, then (x - mean) / std."""
    x = images.astype(np.float32) / np.float32(255.0)
    x = (x - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def _augment(batch: torch.Tensor, mode: str, generator: torch.Generator) -> torch.Tensor:
    """Random +-2 px translation (edge-replicated) per image, and a horizontal flip for
    shift-flip; class-preserving for the shapes (not for digits: use shift there)."""
    if mode == "none":
        return batch
    n, _, h, w = batch.shape
    padded = nn.functional.pad(batch, (2, 2, 2, 2), mode="replicate")
    offsets = torch.randint(0, 5, (n, 2), generator=generator)
    out = torch.stack(
        [padded[i, :, dy : dy + h, dx : dx + w] for i, (dy, dx) in enumerate(offsets.tolist())]
    )
    if mode == "shift-flip":
        flip = torch.rand(n, generator=generator) < 0.5
        out[flip] = out[flip].flip(3)
    return out


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """Class indices (argmax of the logits) in eval mode."""
    model.eval()
    return torch.cat([model(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)])


def _score(model: nn.Module, x: torch.Tensor, labels: np.ndarray) -> dict:
    correct = int((predict(model, x).numpy() == labels).sum())
    return {
        "correct": correct,
        "images": int(len(labels)),
        "top1": round(100 * correct / len(labels), 2),
    }


def _optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(), cfg.lr, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay
        )
    return torch.optim.AdamW(model.parameters(), cfg.lr, weight_decay=cfg.weight_decay)


def train_classifier(data_dir: str | Path, cfg: TrainConfig) -> TrainedClassifier:
    """Train `cfg.arch` on data_dir/train, score train/val/test, return the model and record."""
    cfg.check()
    data_dir = Path(data_dir)
    train, classes = read_split(data_dir, "train")
    if cfg.limit is not None and cfg.limit < len(train.labels):  # a seeded subset, all classes
        keep = np.sort(np.random.default_rng(cfg.seed).permutation(len(train.labels))[: cfg.limit])
        train.images, train.labels = train.images[keep], train.labels[keep]
    mean, std = channel_stats(train.images)
    _, height, width, channels = train.images.shape
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        model, losses, seconds = _fit(train, len(classes), mean, std, cfg)
    finally:
        torch.use_deterministic_algorithms(was_deterministic)
    x = normalise(train.images, mean, std)
    scores = {"train": _score(model, x, train.labels)}
    for split in ("val", "test"):
        if (data_dir / split).is_dir() and any((data_dir / split).rglob("*.png")):
            data, _ = read_split(data_dir, split)
            scores[split] = _score(model, normalise(data.images, mean, std), data.labels)
    record = {
        "arch": cfg.arch,
        "model_def": model_def(cfg.arch),
        "parameters": sum(p.numel() for p in model.parameters()),
        "classes": list(classes),
        "train_config": asdict(cfg),
        "preprocessing": {
            "input_size": [height, width],
            "channels": "gray" if channels == 1 else "rgb",
            "scale": "pixel / 255",
            "mean": mean,
            "std": std,
            "resize": "stretch",
        },
        "loss_per_epoch": losses,
        "accuracy": scores,
        "train_seconds": round(seconds, 1),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "numpy": np.__version__,
    }
    return TrainedClassifier(model, record)


def _fit(
    train: Split, num_classes: int, mean: list[float], std: list[float], cfg: TrainConfig
) -> tuple[nn.Module, list[float], float]:
    """The seeded training loop; (model in eval mode, mean loss per epoch, seconds)."""
    _, height, width, channels = train.images.shape
    torch.manual_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    model = build_model(cfg.arch, channels, num_classes, (height, width))
    x, y = normalise(train.images, mean, std), torch.from_numpy(train.labels)
    optimizer = _optimizer(model, cfg)
    steps_per_epoch = math.ceil(len(y) / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    loss_fn = nn.CrossEntropyLoss()
    losses, began, step = [], time.perf_counter(), 0
    for epoch in progress.track(range(cfg.epochs), "training, epochs"):
        model.train()
        order, running = torch.randperm(len(y), generator=generator), 0.0
        for start in range(0, len(y), cfg.batch_size):
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr * 0.5 * (1 + math.cos(math.pi * step / total))
            pick = order[start : start + cfg.batch_size]
            loss = loss_fn(model(_augment(x[pick], cfg.augment, generator)), y[pick])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += float(loss.detach()) * len(pick)
            step += 1
        losses.append(round(running / len(y), 6))
        log.info("epoch %d/%d: loss %.4f", epoch + 1, cfg.epochs, losses[-1])
    model.eval()
    return model, losses, time.perf_counter() - began
