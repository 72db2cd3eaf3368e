"""Darknet label files: one `class cx cy w h` line per object, coordinates normalised to the
image (centre and size divided by width/height), so labels survive resizing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qnnflow.errors import QnnflowError


def pixel_to_normalised(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pixel (x0, y0, x1, y1) boxes, x1/y1 exclusive -> normalised (cx, cy, w, h) float64."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.stack(
        [
            (b[:, 0] + b[:, 2]) / 2 / width,
            (b[:, 1] + b[:, 3]) / 2 / height,
            (b[:, 2] - b[:, 0]) / width,
            (b[:, 3] - b[:, 1]) / height,
        ],
        axis=1,
    )


def format_labels(boxes: np.ndarray, classes: np.ndarray) -> str:
    """Label file text; 6 decimals keep a 224-px box exact to well under a hundredth of a px."""
    lines = [
        f"{int(c)} {b[0]:.6f} {b[1]:.6f} {b[2]:.6f} {b[3]:.6f}"
        for b, c in zip(np.asarray(boxes).reshape(-1, 4), np.asarray(classes), strict=True)
    ]
    return "".join(line + "\n" for line in lines)


def parse_labels(
    text: str, num_classes: int, source: str | Path = "<labels>"
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes float32 [N, 4] (cx, cy, w, h) and classes int64 [N]; errors name `file:line`."""
    boxes, classes = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{source}:{number}"
        if len(fields) != 5:
            raise QnnflowError(f"{where}: expected 'class cx cy w h', got {line.strip()!r}")
        try:
            class_id = int(fields[0])
            values = [float(v) for v in fields[1:]]
        except ValueError:
            raise QnnflowError(f"{where}: not numbers: {line.strip()!r}") from None
        if not 0 <= class_id < num_classes:
            raise QnnflowError(f"{where}: class {class_id} outside 0..{num_classes - 1}")
        cx, cy, w, h = values
        if not (0 < w <= 1 and 0 < h <= 1 and 0 <= cx <= 1 and 0 <= cy <= 1):
            raise QnnflowError(f"{where}: box {values} is not normalised to (0, 1]")
        boxes.append(values)
        classes.append(class_id)
    return (
        np.array(boxes, dtype=np.float32).reshape(-1, 4),
        np.array(classes, dtype=np.int64),
    )
