"""The two classification sources as seeded in-memory splits of uint8 images.

`digits`: scikit-learn's bundled 8x8 digits (1797 images, 0..16 levels) scaled to 0..255 and
bilinearly upscaled to the requested size, split per class 70/10/20 with a seeded permutation
(stratified: every split holds each digit in the dataset's proportion).
`shapes`: one procedural shape per image (shape_images.py: random size, rotation, colour,
position jitter and gradient background); image i of a split has class i mod 4, so the
classes are balanced, and is drawn from
`numpy.random.default_rng([seed, split, i])`, so growing one split never changes another.
Class names are sorted, so folder order and class index agree for every reader.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from qnnflow.classify.shape_images import render_shape_image
from qnnflow.data.shapes import CLASS_NAMES
from qnnflow.errors import QnnflowError

SOURCES: tuple[str, ...] = ("digits", "shapes")
SPLITS: tuple[str, ...] = ("train", "val", "test")
DIGITS_FRACTIONS = {"train": 0.7, "val": 0.1}  # the rest of each class is test
DEFAULT_SHAPE_COUNTS = {"train": 4000, "val": 500, "test": 1000}


@dataclass
class Split:
    """One split in memory: images uint8 (N, H, W, C) and class indices (N,)."""

    images: np.ndarray
    labels: np.ndarray


def _check_size(size: tuple[int, int]) -> None:
    if not (8 <= size[0] <= 512 and 8 <= size[1] <= 512):
        raise QnnflowError(f"classification image size must be 8..512 pixels, got {size}")


def digits_classes() -> tuple[str, ...]:
    return tuple(str(d) for d in range(10))


def _upscale_digit(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """0..16 levels -> 0..255, bilinear to (H, W), rounded to uint8."""
    plane = Image.fromarray((image * (255.0 / 16.0)).astype(np.float32), mode="F")
    big = np.asarray(plane.resize((size[1], size[0]), Image.BILINEAR))
    return np.clip(np.round(big), 0, 255).astype(np.uint8)


def digits_splits(seed: int, size: tuple[int, int]) -> dict[str, Split]:
    """The stratified seeded 70/10/20 split of scikit-learn's digits, upscaled to `size`."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise QnnflowError(
            "the digits source needs scikit-learn (pip install 'qnnflow[quant]')"
        ) from exc
    _check_size(size)
    bunch = load_digits()
    images, targets = np.asarray(bunch.images), np.asarray(bunch.target, dtype=np.int64)
    rng = np.random.default_rng(seed)
    chosen: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(targets == digit))
        n_train = int(round(DIGITS_FRACTIONS["train"] * len(members)))
        n_val = int(round(DIGITS_FRACTIONS["val"] * len(members)))
        chosen["train"].append(members[:n_train])
        chosen["val"].append(members[n_train : n_train + n_val])
        chosen["test"].append(members[n_train + n_val :])
    out = {}
    for split in SPLITS:
        order = np.sort(np.concatenate(chosen[split]))  # the dataset's own order
        pixels = np.stack([_upscale_digit(images[i], size) for i in order])[..., None]
        out[split] = Split(pixels, targets[order])
    return out


def shapes_classes() -> tuple[str, ...]:
    return tuple(sorted(CLASS_NAMES))


def shape_image(seed: int, split: str, index: int, size: tuple[int, int], plain: bool) -> Split:
    """Image `index` of `split`: one shape of class index mod 4, uint8 (1, H, W, 3)."""
    classes = shapes_classes()
    label = index % len(classes)
    rng = np.random.default_rng([seed, SPLITS.index(split), index])
    pixels = render_shape_image(rng, classes[label], size[0], size[1], plain)
    return Split(pixels[None], np.array([label], dtype=np.int64))


def shapes_splits(
    seed: int, size: tuple[int, int], counts: dict[str, int], plain: bool = False
) -> dict[str, Split]:
    """`counts[split]` seeded single-shape images per split (balanced classes)."""
    _check_size(size)
    if min(size) < 16:
        raise QnnflowError(f"shapes images must be at least 16x16, got {size[0]}x{size[1]}")
    out = {}
    for split in SPLITS:
        parts = [shape_image(seed, split, i, size, plain) for i in range(counts.get(split, 0))]
        images = np.concatenate([p.images for p in parts]) if parts else None
        labels = np.concatenate([p.labels for p in parts]) if parts else None
        if images is None:
            images = np.zeros((0, size[0], size[1], 3), dtype=np.uint8)
            labels = np.zeros(0, dtype=np.int64)
        out[split] = Split(images, labels)
    return out
