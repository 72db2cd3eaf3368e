"""Read a Darknet-style detection folder (ours, or any with the same layout) split by split.

Image paths in `<split>.txt` may be absolute or relative to the dataset root; a label file is
found as Darknet finds it, by swapping the `images` folder for `labels` and the suffix for
`.txt`. An image without a label file has no objects (as in Darknet).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnnflow.data.labels import parse_labels
from qnnflow.errors import QnnflowError
from qnnflow.yolo import load_image


@dataclass
class LabelledImage:
    """One image of a split: float32 HWC RGB in [0, 1], boxes [N, 4] normalised
    (cx, cy, w, h) and class ids [N]."""

    path: Path
    image: np.ndarray
    boxes: np.ndarray
    classes: np.ndarray


def label_path(image_path: Path) -> Path:
    parts = list(image_path.parts)
    if "images" not in parts:
        raise QnnflowError(f"{image_path}: no 'images' folder in the path to map to 'labels'")
    at = len(parts) - 1 - parts[::-1].index("images")
    parts[at] = "labels"
    return Path(*parts).with_suffix(".txt")


class DetectionDataset:
    """The images of one split, in list order; `len()`, indexing and iteration."""

    def __init__(self, root: str | Path, split: str = "test", decoder: str = "pillow") -> None:
        self.root = Path(root)
        self.decoder = decoder
        if not self.root.is_dir():
            raise QnnflowError(f"dataset folder not found: {self.root}")
        names_file = self.root / "names.txt"
        if not names_file.is_file():
            raise QnnflowError(f"{self.root}: no names.txt (one class name per line)")
        self.names = [n.strip() for n in names_file.read_text().splitlines() if n.strip()]
        if not self.names:
            raise QnnflowError(f"{names_file}: no class names")
        listing = self.root / f"{split}.txt"
        if not listing.is_file():
            found = sorted(p.stem for p in self.root.glob("*.txt") if p.name != "names.txt")
            raise QnnflowError(
                f"{self.root}: no split '{split}' ({listing.name} missing;"
                f" found: {', '.join(found) or 'none'})"
            )
        self.split = split
        self.images = [
            self._resolve(line.strip()) for line in listing.read_text().splitlines() if line.strip()
        ]

    def _resolve(self, entry: str) -> Path:
        path = Path(entry)
        return path if path.is_absolute() else self.root / path

    def __len__(self) -> int:
        return len(self.images)

    def labels(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Boxes and classes of image `index` without decoding the image."""
        path = label_path(self.images[index])
        if not path.is_file():
            return np.zeros((0, 4), dtype=np.float32), np.zeros(0, dtype=np.int64)
        return parse_labels(path.read_text(), len(self.names), path)

    def __getitem__(self, index: int) -> LabelledImage:
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index %= len(self)
        boxes, classes = self.labels(index)
        image = load_image(self.images[index], self.decoder)
        return LabelledImage(self.images[index], image, boxes, classes)

    def __iter__(self) -> Iterator[LabelledImage]:
        for index in range(len(self)):
            yield self[index]
