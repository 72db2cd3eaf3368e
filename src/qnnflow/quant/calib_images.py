"""Calibration images: a folder of JPEG/PNG files, in sorted (deterministic) order,
letterboxed the way Darknet feeds its network."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.util import progress
from qnnflow.util.checks import int_at_least
from qnnflow.yolo import load_image, network_input

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def list_images(folder: str | Path, max_samples: int | None = None) -> list[Path]:
    """The folder's images in sorted order, the first `max_samples` (None: all)."""
    if max_samples is not None:
        int_at_least(max_samples, 1, "the number of calibration images (--max-samples)")
    root = Path(folder)
    if not root.is_dir():
        raise QnnflowError(f"calibration folder not found: {root}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise QnnflowError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {root}")
    return files if max_samples is None else files[:max_samples]


def load_calibration_batch(
    folder: str | Path,
    net_w: int,
    net_h: int,
    max_samples: int | None = 50,
    decoder: str = "pillow",
) -> list[np.ndarray]:
    """Network inputs [1, 3, net_h, net_w] float32 in [0, 1], one per image, decoded by
    `decoder` (darknet = stb_image, as the deployed Darknet model will see them)."""
    files = list_images(folder, max_samples)
    images = progress.track(files, "loading calibration images")
    return [network_input(load_image(p, decoder), net_w, net_h) for p in images]
