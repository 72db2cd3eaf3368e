"""Decode a raw detection head straight to its scoring boxes: the on-board fast path.

Darknet's class probability is `objectness * class score` and is dropped unless it is above
`thresh`; region boxes whose objectness is not above `thresh` score nothing, and yolo boxes
below it are not even listed. So only the cells and anchors whose activated objectness is
above the threshold can produce a detection that prints or suppresses, and this path
activates the objectness of every cell but the coordinates and classes (softmax or
logistic) of those candidates only. Every value is the same float32 operation, element by
element, as `region_forward` + `region_detections(scoring_only=True)` (and the yolo pair):
same order of boxes, same numbers (tests compare both paths on real and planted heads).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qnnflow.yolo.activations import darknet_softmax, logistic
from qnnflow.yolo.decode import Detection, anchor_pairs, box_extent, yolo_head
from qnnflow.yolo.layout import anchor_view, single_image
from qnnflow.yolo.letterbox import correct_boxes

_F32 = np.float32


@dataclass(frozen=True)
class ScoredBoxes:
    """The boxes of one image that score: boxes [n, 4] (x, y, w, h) relative to the image,
    objectness [n], class probs [n, classes]; every row has a prob above the threshold."""

    boxes: np.ndarray
    objectness: np.ndarray
    probs: np.ndarray

    def detections(self) -> list[Detection]:
        """The rows as Detection objects, in order."""
        return [
            Detection(b[0], b[1], b[2], b[3], o, p)
            for b, o, p in zip(
                self.boxes.tolist(), self.objectness.tolist(), self.probs, strict=True
            )
        ]


def _scoring(
    boxes: np.ndarray, objectness: np.ndarray, probs: np.ndarray, size: tuple[int, ...]
) -> ScoredBoxes:
    """The candidates with a non-zero class prob, boxes corrected for the letterbox."""
    keep = np.flatnonzero(probs.any(axis=1))
    im_w, im_h, net_w, net_h = size
    kept = correct_boxes(boxes[keep], im_w, im_h, net_w, net_h)
    return ScoredBoxes(kept, objectness[keep], np.ascontiguousarray(probs[keep]))


def region_scoring(
    raw: np.ndarray,
    anchors: ArrayLike,
    num: int,
    classes: int,
    coords: int,
    thresh: float,
    size: tuple[int, ...],
    softmax: bool = True,
) -> ScoredBoxes:
    """A raw [region] head (one image) -> its scoring boxes in Darknet's order
    (`n*H*W + row*W + col`); `size` = (im_w, im_h, net_w, net_h)."""
    view = single_image(anchor_view(raw, num, coords, classes, "region"), "region")
    pairs = anchor_pairs(anchors, num, "region")
    _, _, h, w = view.shape
    limit = _F32(thresh)
    objectness = logistic(view[:, coords]).reshape(-1)
    # a zero objectness scores nothing even under a negative threshold
    picks = np.flatnonzero((objectness > limit) & (objectness != 0))
    anchor, cell = np.divmod(picks, h * w)
    row, col = np.divmod(cell, w)
    entries = view[anchor, :, row, col]  # [n, coords + 1 + classes]
    bx = (col.astype(_F32) + logistic(entries[:, 0])) / _F32(w)
    by = (row.astype(_F32) + logistic(entries[:, 1])) / _F32(h)
    bw = box_extent(entries[:, 2], pairs[anchor, 0], w)
    bh = box_extent(entries[:, 3], pairs[anchor, 1], h)
    scores = entries[:, coords + 1 :]
    scores = darknet_softmax(scores, axis=1) if softmax else logistic(scores)
    scale = objectness[picks]
    probs = scale[:, None] * scores
    probs = np.where(probs > limit, probs, _F32(0.0))
    return _scoring(np.stack([bx, by, bw, bh], axis=-1), scale, probs, size)


def yolo_scoring(
    raw: np.ndarray,
    anchors: ArrayLike,
    classes: int,
    thresh: float,
    size: tuple[int, ...],
    scale_x_y: float = 1.0,
) -> ScoredBoxes:
    """A raw [yolo] head (one image; `anchors` this head's masked ones in network pixels)
    -> its scoring boxes, cell-major (`(row*W + col)*num + n`) like `yolo_detections`."""
    view, pairs, num = yolo_head(raw, anchors, classes)
    _, _, h, w = view.shape
    _, _, net_w, net_h = size
    limit = _F32(thresh)
    objectness = logistic(view[:, 4]).transpose(1, 2, 0).reshape(-1)  # cell-major
    picks = np.flatnonzero(objectness > limit)
    cell, anchor = np.divmod(picks, num)
    row, col = np.divmod(cell, w)
    entries = view[anchor, :, row, col]  # [n, 5 + classes]
    xy = logistic(entries[:, 0:2])
    if scale_x_y != 1.0:
        xy = xy * _F32(scale_x_y) + _F32(-0.5 * (scale_x_y - 1.0))
    bx = (col.astype(_F32) + xy[:, 0]) / _F32(w)
    by = (row.astype(_F32) + xy[:, 1]) / _F32(h)
    bw = box_extent(entries[:, 2], pairs[anchor, 0], int(net_w))
    bh = box_extent(entries[:, 3], pairs[anchor, 1], int(net_h))
    scale = objectness[picks]
    probs = scale[:, None] * logistic(entries[:, 5:])
    probs = np.where(probs > limit, probs, _F32(0.0))
    return _scoring(np.stack([bx, by, bw, bh], axis=-1), scale, probs, size)


def head_scoring(head: dict, raw: np.ndarray, thresh: float, size: tuple[int, ...]) -> ScoredBoxes:
    """One head of a model's `qnnflow.darknet.heads` metadata, decoded to its scoring boxes."""
    if head["type"] == "region":
        return region_scoring(
            raw, head["anchors"], head["num"], head["classes"], head["coords"], thresh, size,
            head["softmax"],
        )  # fmt: skip
    return yolo_scoring(
        raw, head["anchors"], head["classes"], thresh, size, head.get("scale_x_y", 1.0)
    )
