"""The folder-per-class layout on disk, written atomically and read back exactly.

    OUT/classes.txt                   class names, line k = class index k (sorted names)
    OUT/dataset.json                  source, seed, size, channels, per-split per-class counts
    OUT/<split>/<class>/<NNNNN>.png   8-bit PNG (grayscale for 1 channel, RGB for 3)

NNNNN numbers the images of a split in the order they were drawn. PNG is lossless, so the
pixels a reader decodes are the generated ones, and training, calibration and evaluation
see the same numbers.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from qnnflow.classify.datasets import (
    DEFAULT_SHAPE_COUNTS,
    SOURCES,
    SPLITS,
    Split,
    digits_classes,
    digits_splits,
    shapes_classes,
    shapes_splits,
)
from qnnflow.errors import QnnflowError
from qnnflow.util.atomic import replace_dir

FORMAT_VERSION = "qnnflow-classification-1"


def _png(pixels: np.ndarray) -> bytes:
    """uint8 (H, W, 1) as grayscale PNG or (H, W, 3) as RGB PNG; deterministic bytes."""
    picture = Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _write_split(root: Path, split: str, data: Split, classes: tuple[str, ...]) -> dict:
    for name in classes:
        (root / split / name).mkdir(parents=True)
    digits = max(5, len(str(max(len(data.labels) - 1, 0))))
    for index, (pixels, label) in enumerate(zip(data.images, data.labels, strict=True)):
        path = root / split / classes[int(label)] / f"{index:0{digits}d}.png"
        path.write_bytes(_png(pixels))
    counts = np.bincount(data.labels, minlength=len(classes))
    return {
        "images": int(len(data.labels)),
        "per_class": dict(zip(classes, counts.tolist(), strict=True)),
    }


def make_classification_dataset(
    out_dir: str | Path,
    source: str,
    seed: int = 0,
    size: tuple[int, int] = (32, 32),
    counts: dict[str, int] | None = None,
    plain: bool = False,
    overwrite: bool = False,
) -> dict:
    """Write the `source` dataset at `out_dir`; returns its dataset.json. `counts` (images per
    split) applies to shapes only: digits is the fixed 70/10/20 split of its 1797 images."""
    if source not in SOURCES:
        raise QnnflowError(f"unknown classification source '{source}' (known: {SOURCES})")
    if not 0 <= seed < 2**32:
        raise QnnflowError(f"seed must be in [0, 2**32), got {seed}")
    target = Path(out_dir)
    if target.exists() and not overwrite:
        raise QnnflowError(f"{target} already exists (pass --overwrite to replace it)")
    if source == "digits":
        if counts is not None:
            raise QnnflowError("digits has a fixed 70/10/20 split of 1797 images: drop the counts")
        if plain:
            raise QnnflowError("--plain applies to the shapes source only")
        splits, classes = digits_splits(seed, size), digits_classes()
    else:
        counts = dict(DEFAULT_SHAPE_COUNTS if counts is None else counts)
        if any(n < 0 for n in counts.values()) or sum(counts.values()) == 0:
            raise QnnflowError(f"image counts must be >= 0 and not all zero, got {counts}")
        splits, classes = shapes_splits(seed, size, counts, plain), shapes_classes()
    channels = 1 if source == "digits" else 3
    info = {
        "format": FORMAT_VERSION,
        "source": source,
        "seed": seed,
        "image_size": [size[0], size[1]],  # height, width
        "channels": "gray" if channels == 1 else "rgb",
        "plain": plain,
        "classes": list(classes),
        "splits": {},
    }

    def write(root: Path) -> None:
        for split in SPLITS:
            info["splits"][split] = _write_split(root, split, splits[split], classes)
        (root / "classes.txt").write_text("".join(c + "\n" for c in classes))
        (root / "dataset.json").write_text(json.dumps(info, indent=2) + "\n")

    replace_dir(target, write)
    return info


def read_classes(root: Path) -> tuple[str, ...]:
    """classes.txt, or the sorted class folders of the first split when it is absent."""
    listing = root / "classes.txt"
    if listing.is_file():
        names = tuple(line.strip() for line in listing.read_text().splitlines() if line.strip())
    else:
        split = next((root / s for s in SPLITS if (root / s).is_dir()), root)
        names = tuple(sorted(p.name for p in split.iterdir() if p.is_dir()))
    if not names:
        raise QnnflowError(f"{root}: no classes (neither classes.txt nor class folders)")
    return names


def read_split(root: str | Path, split: str) -> tuple[Split, tuple[str, ...]]:
    """Decode every PNG of `root/<split>/<class>/` (sorted by name within a class, classes in
    classes.txt order) to uint8 (N, H, W, C); one size and channel count for all."""
    root = Path(root)
    classes = read_classes(root)
    folder = root / split
    if not folder.is_dir():
        raise QnnflowError(f"{folder}: no such split folder")
    images, labels = [], []
    for label, name in enumerate(classes):
        for path in sorted((folder / name).glob("*.png")):
            try:
                with Image.open(path) as picture:
                    pixels = np.asarray(picture)
            except OSError as exc:
                raise QnnflowError(f"{path}: cannot read the image ({exc})") from None
            if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
                raise QnnflowError(f"{path}: expected an 8-bit grayscale or RGB PNG")
            images.append(pixels[:, :, None] if pixels.ndim == 2 else pixels)
            labels.append(label)
    if not images:
        raise QnnflowError(f"{folder}: no PNG images in the class folders of classes.txt")
    shapes = {im.shape for im in images}
    if len(shapes) != 1:
        raise QnnflowError(f"{folder}: images differ in size or channels ({sorted(shapes)})")
    return Split(np.stack(images), np.asarray(labels, dtype=np.int64)), classes
