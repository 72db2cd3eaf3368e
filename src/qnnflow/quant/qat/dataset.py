"""A Darknet-style detection dataset folder, loaded into memory letterboxed to the network:
`<root>/<split>.txt` lists image paths (absolute or relative to root; else every image under
`images/<split>/`), each label file `labels/<split>/<stem>.txt` has `class cx cy w h` rows
in [0, 1], `names.txt` names the classes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.yolo import letterbox_image, letterbox_size, load_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


@dataclass
class DetectionSet:
    """images [N, 3, H, W] float32 in [0, 1]; boxes[i] [T, 5] (class, cx, cy, w, h)."""

    images: np.ndarray
    boxes: list[np.ndarray]
    names: list[str]


def _image_paths(root: Path, split: str) -> list[Path]:
    listing = root / f"{split}.txt"
    if listing.is_file():
        paths = []
        for line in listing.read_text().splitlines():
            if line.strip():
                p = Path(line.strip())
                paths.append(p if p.is_absolute() else root / p)
        return paths
    folder = root / "images" / split
    if not folder.is_dir():
        raise QnnflowError(f"{root}: neither {split}.txt nor images/{split}/ exists")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def read_labels(path: Path, classes: int) -> np.ndarray:
    """Rows `class cx cy w h`; a missing file means no objects; bad rows name the line."""
    if not path.is_file():
        return np.zeros((0, 5), np.float32)
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values = [float(v) for v in line.split()]
        except ValueError:
            raise QnnflowError(f"{path}:{number}: expected 'class cx cy w h' numbers") from None
        if len(values) != 5 or not 0 <= values[0] < classes or int(values[0]) != values[0]:
            raise QnnflowError(
                f"{path}:{number}: expected 'class cx cy w h' with class < {classes}"
            )
        if not all(0.0 <= v <= 1.0 for v in values[1:]) or values[3] <= 0 or values[4] <= 0:
            raise QnnflowError(f"{path}:{number}: box values must be in [0, 1], w and h > 0")
        rows.append(values)
    return np.asarray(rows, np.float32).reshape(-1, 5)


def _letterbox_boxes(boxes: np.ndarray, im_w: int, im_h: int, net_w: int, net_h: int):
    new_w, new_h = letterbox_size(im_w, im_h, net_w, net_h)
    out = boxes.copy()
    out[:, 1] = (boxes[:, 1] * new_w + (net_w - new_w) // 2) / net_w
    out[:, 2] = (boxes[:, 2] * new_h + (net_h - new_h) // 2) / net_h
    out[:, 3] = boxes[:, 3] * new_w / net_w
    out[:, 4] = boxes[:, 4] * new_h / net_h
    return out


def load_detection_set(
    root: str | Path, split: str, net_w: int, net_h: int, classes: int, limit: int | None = None
) -> DetectionSet:
    """Load (at most `limit`) images of `split`, letterboxed as `qnnflow detect` feeds them."""
    root = Path(root)
    if not root.is_dir():
        raise QnnflowError(f"dataset folder not found: {root}")
    paths = _image_paths(root, split)[:limit]
    if not paths:
        raise QnnflowError(f"{root}: no images in split '{split}'")
    names_file = root / "names.txt"
    names = names_file.read_text().split() if names_file.is_file() else []
    images, boxes = [], []
    for path in paths:
        image = load_image(path)
        label = root / "labels" / split / f"{path.stem}.txt"
        im_h, im_w = image.shape[:2]
        boxes.append(_letterbox_boxes(read_labels(label, classes), im_w, im_h, net_w, net_h))
        images.append(letterbox_image(image, net_w, net_h).transpose(2, 0, 1))
    return DetectionSet(np.stack(images).astype(np.float32), boxes, names)
