"""A labelled classification set on disk: DIR/<class>/*.png (or DIR/<split>/<class>/...), the
layout torchvision's ImageFolder and `qnnflow make-dataset --task classify` use.

Class indices are the class names sorted as strings (ImageFolder's order), unless a
classes.txt (one name per line, in index order; looked for in the split folder, then DIR)
says otherwise; it also names classes that have no folder here. Images are taken round-robin
over the classes, so `max_images` keeps the classes balanced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.quant.calib_images import IMAGE_SUFFIXES
from qnnflow.quant.ptq.calib_data import interleave_by_folder
from qnnflow.util.checks import int_at_least

CLASSES_FILE = "classes.txt"


@dataclass
class ClassifySet:
    """Image files with their class indices; `classes[i]` names index i."""

    root: Path
    classes: list[str]
    files: list[Path]
    labels: np.ndarray  # int64 [N]

    def __len__(self) -> int:
        return len(self.files)


def _split_root(data_dir: Path, split: str | None) -> Path:
    if not data_dir.is_dir():
        raise QnnflowError(f"dataset folder not found: {data_dir}")
    if split is None:
        return data_dir
    root = data_dir / split
    if not root.is_dir():
        found = sorted(p.name for p in data_dir.iterdir() if p.is_dir())
        raise QnnflowError(f"{data_dir}: no split '{split}' (folders: {', '.join(found) or '-'})")
    return root


def _listed_classes(root: Path, data_dir: Path) -> list[str] | None:
    for folder in (root, data_dir):
        listing = folder / CLASSES_FILE
        if listing.is_file():
            names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
            if not names:
                raise QnnflowError(f"{listing}: lists no classes")
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise QnnflowError(f"{listing}: classes listed twice: {', '.join(repeated)}")
            return names
    return None


def _images_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]


def load_classify_folder(
    data_dir: str | Path, split: str | None = None, max_images: int | None = None
) -> ClassifySet:
    """The labelled images of `data_dir` (or its `split` sub-folder), the first `max_images`
    of the round-robin order (None: all)."""
    if max_images is not None:
        int_at_least(max_images, 1, "the number of images (--max-images)")
    data_dir = Path(data_dir)
    root = _split_root(data_dir, split)
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise QnnflowError(f"{root}: no class folders (expected {root}/<class>/<image>.png)")
    listed = _listed_classes(root, data_dir)
    classes = folders if listed is None else listed
    unknown = [f for f in folders if f not in classes]
    if unknown:
        raise QnnflowError(
            f"{root}: folder(s) {', '.join(unknown)} not named in {CLASSES_FILE} "
            f"({', '.join(classes)})"
        )
    index = {name: k for k, name in enumerate(classes)}
    files = interleave_by_folder([f for name in folders for f in _images_under(root / name)])
    if not files:
        raise QnnflowError(
            f"{root}: no images ({', '.join(IMAGE_SUFFIXES)}) in its class folders "
            f"({', '.join(folders)})"
        )
    if max_images is not None:
        files = files[:max_images]
    labels = np.array([index[f.relative_to(root).parts[0]] for f in files], dtype=np.int64)
    return ClassifySet(root, list(classes), files, labels)
