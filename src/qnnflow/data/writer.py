"""Write a procedural detection dataset as a Darknet-style folder, atomically.

Layout (paths in `<split>.txt` are relative to the dataset root, so the folder can move):

    names.txt                 one class name per line, line k = class id k
    dataset.json              seed, image size, scene config, per-split image/object counts
    train.txt val.txt test.txt   image paths, one per line
    images/<split>/NNNNN.jpg  (or .png)
    labels/<split>/NNNNN.txt  `class cx cy w h` per object, normalised

Image i of split s is drawn from `numpy.random.default_rng([seed, s, i])` (s = 0 train, 1 val,
2 test), so an image depends only on the seed, its split and its index: growing the training
set never changes the validation or test images. The whole tree is written to a temporary
folder beside the target and renamed into place, so a dataset is complete or absent.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from qnnflow.data.labels import format_labels, pixel_to_normalised
from qnnflow.data.scene import SceneConfig, render_scene
from qnnflow.errors import QnnflowError

log = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "val", "test")
FORMAT_VERSION = "qnnflow-procedural-detection-1"
IMAGE_FORMATS = {"jpg": "JPEG", "png": "PNG"}
DRAW_THREADS = 2  # images drawn at once (the build machine has 2 cores)


def encode_image(image: np.ndarray, image_format: str) -> bytes:
    """Encode uint8 HWC RGB; JPEG at quality 95 without chroma subsampling (thin stripes and
    small objects keep their colour edges), PNG losslessly. Both are deterministic."""
    buffer = io.BytesIO()
    picture = Image.fromarray(image, mode="RGB")
    if image_format == "jpg":
        picture.save(buffer, format="JPEG", quality=95, subsampling=0)
    else:
        picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _write_split(
    root: Path,
    split: str,
    count: int,
    seed: int,
    cfg: SceneConfig,
    image_format: str,
    progress: Callable[[int], None] | None,
) -> dict:
    (root / "images" / split).mkdir(parents=True)
    (root / "labels" / split).mkdir(parents=True)
    digits = max(5, len(str(max(count - 1, 0))))
    listing, per_class, objects = [], [0] * len(cfg.classes), 0
    split_id = SPLITS.index(split)

    def draw(index: int) -> tuple[bytes, np.ndarray, np.ndarray]:
        scene = render_scene(np.random.default_rng([seed, split_id, index]), cfg)
        return encode_image(scene.image, image_format), scene.boxes, scene.classes

    # numpy and Pillow release the GIL on whole images: threads draw and encode in parallel;
    # each image depends on its own generator only, and the files are written here, in order
    with ThreadPoolExecutor(DRAW_THREADS) as pool:
        for index, (encoded, pixel_boxes, classes) in enumerate(pool.map(draw, range(count))):
            stem = f"{index:0{digits}d}"
            image_rel = f"images/{split}/{stem}.{image_format}"
            (root / image_rel).write_bytes(encoded)
            boxes = pixel_to_normalised(pixel_boxes, cfg.width, cfg.height)
            (root / "labels" / split / f"{stem}.txt").write_text(format_labels(boxes, classes))
            listing.append(image_rel)
            objects += len(classes)
            for class_id in classes:
                per_class[int(class_id)] += 1
            if progress is not None:
                progress(1)
    (root / f"{split}.txt").write_text("".join(p + "\n" for p in listing))
    return {
        "images": count,
        "objects": objects,
        "objects_per_class": dict(zip(cfg.classes, per_class, strict=True)),
    }


def generate_dataset(
    out_dir: str | Path,
    seed: int = 0,
    counts: dict[str, int] | None = None,
    cfg: SceneConfig | None = None,
    image_format: str = "jpg",
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Generate the dataset at `out_dir` and return the contents of its `dataset.json`."""
    cfg = cfg or SceneConfig()
    cfg.check()
    counts = dict(counts if counts is not None else {"train": 2000, "val": 200, "test": 200})
    unknown = set(counts) - set(SPLITS)
    if unknown:
        raise QnnflowError(f"unknown split(s) {sorted(unknown)}; splits are {', '.join(SPLITS)}")
    if any(n < 0 for n in counts.values()) or sum(counts.values()) == 0:
        raise QnnflowError(f"image counts must be >= 0 and not all zero, got {counts}")
    if image_format not in IMAGE_FORMATS:
        raise QnnflowError(f"image format must be one of {sorted(IMAGE_FORMATS)}")
    if not 0 <= seed < 2**63:
        raise QnnflowError(f"seed must be in [0, 2**63), got {seed}")
    target = Path(out_dir)
    if target.exists() and not overwrite:
        raise QnnflowError(f"{target} already exists (pass --overwrite to replace it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        splits = {
            split: _write_split(tmp, split, counts.get(split, 0), seed, cfg, image_format, progress)
            for split in SPLITS
        }
        (tmp / "names.txt").write_text("".join(n + "\n" for n in cfg.classes))
        info = {
            "format": FORMAT_VERSION,
            "seed": seed,
            "image_size": [cfg.width, cfg.height],
            "image_format": image_format,
            "classes": list(cfg.classes),
            "splits": splits,
            "scene": cfg.to_dict(),
        }
        (tmp / "dataset.json").write_text(json.dumps(info, indent=2) + "\n")
        _replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("wrote %s in %.1f s", target, time.perf_counter() - began)
    return info


def _replace_dir(new: Path, target: Path) -> None:
    """Rename `new` to `target`; an existing target is moved aside first and removed after."""
    if not target.exists():
        new.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
