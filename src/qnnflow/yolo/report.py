"""Darknet's `name: NN%` lines and a JSON-ready list of boxes in image pixels."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.yolo.decode import Detection

_F32 = np.float32


def _hits(
    dets: Sequence[Detection], names: Sequence[str], thresh: float
) -> Iterator[tuple[Detection, int, float]]:
    """(detection, class, prob) above `thresh`, in Darknet's draw_detections loop order."""
    limit = _F32(thresh)
    for det in dets:
        prob = np.asarray(det.prob, dtype=_F32)
        if prob.shape[0] > len(names):
            raise QnnflowError(f"{prob.shape[0]} classes but only {len(names)} class names")
        for j in np.flatnonzero(prob > limit):
            yield det, int(j), float(prob[j])


def format_detections(dets: Sequence[Detection], names: Sequence[str], thresh: float) -> list[str]:
    """The lines Darknet prints, `printf("%s: %.0f%%", name, prob*100)` with a float product."""
    return [
        f"{names[j]}: {float(_F32(prob) * _F32(100)):.0f}%"
        for _, j, prob in _hits(dets, names, thresh)
    ]


def pixel_box(det: Detection, im_w: int, im_h: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) pixels as Darknet draws them: truncated, clamped to the image."""
    x, y, w, h = (float(v) for v in det.box)
    left = max(int((x - w / 2.0) * im_w), 0)
    right = min(int((x + w / 2.0) * im_w), im_w - 1)
    top = max(int((y - h / 2.0) * im_h), 0)
    bottom = min(int((y + h / 2.0) * im_h), im_h - 1)
    return left, top, right, bottom


def detections_to_json(
    dets: Sequence[Detection], names: Sequence[str], thresh: float, im_w: int, im_h: int
) -> list[dict[str, object]]:
    """One JSON-serialisable dict per printed line: class, probability and pixel box."""
    out: list[dict[str, object]] = []
    for det, j, prob in _hits(dets, names, thresh):
        left, top, right, bottom = pixel_box(det, int(im_w), int(im_h))
        out.append(
            {
                "class": str(names[j]),
                "class_id": j,
                "probability": prob,
                "left": left,
                "top": top,
                "right": right,
                "bottom": bottom,
            }
        )
    return out
