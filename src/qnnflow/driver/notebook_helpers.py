"""What the on-board notebook and `run_on_board` need around a `DetectionPipeline`: the
package's sample images, boxes drawn as Darknet draws them (Pillow), one-line timings and a
webcam/video loop (OpenCV, optional: without it the loop says so and nothing else breaks).

Numpy only at import time (Pillow and cv2 are imported by the functions that need them):
this module is copied into the package's runtime and runs on the board.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from qnnflow.driver.pipeline import DetectionPipeline, PipelineResult
from qnnflow.errors import QnnflowError

IMAGES_DIR = "images"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
# Darknet's image.c palette and get_color, so boxes have the colours Darknet gives them
_COLORS = np.array([[1, 0, 1], [0, 0, 1], [0, 1, 1], [0, 1, 0], [1, 1, 0], [1, 0, 0]], float)
NO_OPENCV = (
    "the webcam/video loop needs OpenCV (cv2), which is not installed here; on the board "
    "`sudo apt install python3-opencv` (or pip install opencv-python-headless); the image "
    "cells do not need it"
)


def list_images(folder: str | Path) -> list[Path]:
    """The image files directly in `folder`, sorted by name ([] when it does not exist)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def darknet_color(class_id: int, classes: int) -> tuple[int, int, int]:
    """The RGB colour Darknet's draw_detections gives class `class_id` of `classes`."""
    offset = class_id * 123457 % max(classes, 1)

    def channel(c: int) -> float:
        ratio = offset / max(classes, 1) * 5
        i, j = int(np.floor(ratio)), int(np.ceil(ratio))
        ratio -= i
        return (1 - ratio) * _COLORS[i % 6][c] + ratio * _COLORS[j % 6][c]

    return tuple(int(round(255 * channel(c))) for c in (2, 1, 0))


def draw_boxes(image: np.ndarray, boxes: Iterable[dict], classes: int | None = None):
    """A Pillow image of `image` (HWC RGB, float in [0, 1] or uint8) with each box of
    `PipelineResult.boxes` outlined and labelled `name NN%`."""
    from PIL import Image, ImageDraw

    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)
    canvas = Image.fromarray(array, "RGB")
    draw = ImageDraw.Draw(canvas)
    boxes = list(boxes)
    count = classes or (1 + max((int(b["class_id"]) for b in boxes), default=0))
    width = max(1, int(canvas.height * 0.006))
    for box in boxes:
        color = darknet_color(int(box["class_id"]), count)
        corners = (box["left"], box["top"], box["right"], box["bottom"])
        draw.rectangle(corners, outline=color, width=width)
        label = f"{box['class']} {100 * float(box['probability']):.0f}%"
        left, top, right, bottom = draw.textbbox((box["left"], box["top"]), label)
        lift = min(bottom - top + 2, box["top"])
        draw.rectangle((left, top - lift, right + 2, bottom - lift), fill=color)
        draw.text((box["left"] + 1, box["top"] - lift), label, fill=(0, 0, 0))
    return canvas


def timing_line(seconds: dict[str, float], label: str = "timings") -> str:
    """`timings (ms): load 3.10 | letterbox 1.20 | ... | total 25.00` for one image."""
    parts = [f"{name} {1e3 * value:.2f}" for name, value in seconds.items()]
    total = 1e3 * sum(seconds.values())
    return f"{label} (ms): " + " | ".join([*parts, f"total {total:.2f}"])


def mean_seconds(results: Iterable[PipelineResult]) -> dict[str, float]:
    """Stage -> mean seconds over `results` (stages missing from some results average over
    the results that have them)."""
    sums: dict[str, list[float]] = {}
    for result in results:
        for name, value in result.seconds.items():
            sums.setdefault(name, []).append(value)
    return {name: float(np.mean(values)) for name, values in sums.items()}


def fps_line(seconds: dict[str, float], skip: tuple[str, ...] = ("load",)) -> str:
    """Frames per second of the pipeline from mean stage times, file loading excluded."""
    total = sum(v for k, v in seconds.items() if k not in skip)
    fps = 1.0 / total if total > 0 else float("inf")
    return f"pipeline: {fps:.2f} fps ({1e3 * total:.2f} ms per frame, without {', '.join(skip)})"


def _opencv():
    try:
        import cv2
    except ImportError:
        raise QnnflowError(NO_OPENCV) from None
    return cv2


def webcam_loop(
    pipeline: DetectionPipeline,
    source: int | str = 0,
    max_frames: int = 100,
    show: Callable[[object, PipelineResult], None] | None = None,
) -> list[PipelineResult]:
    """Run camera `source` (an index) or a video file through `pipeline` for at most
    `max_frames` frames, calling `show(drawn_pillow_image, result)` after each frame;
    stops early at the end of a video. Raises QnnflowError without OpenCV or a source."""
    cv2 = _opencv()
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        raise QnnflowError(f"cannot open video source {source!r} (no camera or file there)")
    classes = pipeline.heads[0]["classes"]
    results: list[PipelineResult] = []
    try:
        while len(results) < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            rgb = np.ascontiguousarray(frame[:, :, ::-1])  # OpenCV gives BGR
            result = pipeline.run(rgb)
            results.append(result)
            if show is not None:
                show(draw_boxes(rgb, result.boxes, classes), result)
    finally:
        capture.release()
    return results
