"""A tiny Darknet-style dataset folder: coloured rectangles on grey, class = colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

COLOURS = [(230, 40, 40), (40, 230, 40)]


def write_dataset(root: Path, count: int, size: int = 16, split: str = "train", seed: int = 0):
    rng = np.random.default_rng(seed)
    (root / "images" / split).mkdir(parents=True)
    (root / "labels" / split).mkdir(parents=True)
    lines = []
    for n in range(count):
        image = np.full((size, size, 3), 110, np.uint8)
        cls = int(rng.integers(0, len(COLOURS)))
        w, h = (int(v) for v in rng.integers(size // 4, size // 2 + 1, size=2))
        x0, y0 = (int(v) for v in rng.integers(0, size - max(w, h) + 1, size=2))
        image[y0 : y0 + h, x0 : x0 + w] = COLOURS[cls]
        path = root / "images" / split / f"{n:04d}.png"
        Image.fromarray(image).save(path)
        label = f"{cls} {(x0 + w / 2) / size} {(y0 + h / 2) / size} {w / size} {h / size}\n"
        (root / "labels" / split / f"{n:04d}.txt").write_text(label)
        lines.append(f"images/{split}/{n:04d}.png")
    (root / f"{split}.txt").write_text("\n".join(lines) + "\n")
    (root / "names.txt").write_text("red\ngreen\n")
