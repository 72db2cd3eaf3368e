"""Turn an activated detection head into Darknet detections (boxes, objectness, class probs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qnnflow.errors import QnnflowError
from qnnflow.yolo.layout import anchor_view, single_image
from qnnflow.yolo.letterbox import correct_boxes

_F32 = np.float32


@dataclass(eq=False)
class Detection:
    """One Darknet `detection`: a relative centre box in the image, objectness, class probs."""

    x: float
    y: float
    w: float
    h: float
    objectness: float
    prob: np.ndarray

    @property
    def box(self) -> np.ndarray:
        """The box as float32 [x, y, w, h], the precision Darknet keeps it in."""
        return np.array([self.x, self.y, self.w, self.h], dtype=_F32)


def anchor_pairs(anchors: ArrayLike, num: int, layer: str) -> np.ndarray:
    """Anchors as float64 [num, 2] holding float32 values (Darknet stores biases as float)."""
    flat = np.asarray(anchors, dtype=_F32).reshape(-1)
    if flat.size != 2 * num:
        raise QnnflowError(
            f"[{layer}] expected {num} anchors ({2 * num} numbers), got {flat.size} numbers"
        )
    return flat.reshape(num, 2).astype(np.float64)


def yolo_head(
    raw: np.ndarray, anchors: ArrayLike, classes: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """A [yolo] head of one image as [num, 5 + classes, H, W], its (w, h) anchor pairs and
    their count; anchors that are not pairs are refused."""
    flat = np.asarray(anchors, dtype=_F32).reshape(-1)
    if flat.size == 0 or flat.size % 2:
        raise QnnflowError(f"[yolo] anchors must be (w, h) pairs, got {flat.size} numbers")
    num = flat.size // 2
    view = single_image(anchor_view(raw, num, 4, classes, "yolo"), "yolo")
    return view, anchor_pairs(flat, num, "yolo"), num


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(h, dtype=_F32)[None, :, None]
    cols = np.arange(w, dtype=_F32)[None, None, :]
    return rows, cols


def box_extent(extent: np.ndarray, anchor: np.ndarray, divisor: int) -> np.ndarray:
    """`exp(t) * bias / divisor` in double, stored as float (Darknet get_region/yolo_box);
    `anchor` (float64) broadcasts against `extent`."""
    with np.errstate(over="ignore"):
        wide = np.exp(extent.astype(np.float64)) * anchor / divisor
    return wide.astype(_F32)


def _detections(
    boxes: np.ndarray, objectness: np.ndarray, probs: np.ndarray, scoring_only: bool = False
) -> list[Detection]:
    """Detection objects in order; `scoring_only` keeps only boxes with a non-zero class prob
    (the only ones NMS, printing and box lists ever look at: the on-board fast path)."""
    if scoring_only:
        keep = np.flatnonzero(probs.any(axis=1))
        boxes, objectness, probs = boxes[keep], objectness[keep], probs[keep]
    return [
        Detection(float(b[0]), float(b[1]), float(b[2]), float(b[3]), float(o), p.copy())
        for b, o, p in zip(boxes.tolist(), objectness.tolist(), probs, strict=True)
    ]


def region_detections(
    activated: np.ndarray,
    anchors: ArrayLike,
    num: int,
    classes: int,
    coords: int = 4,
    thresh: float = 0.5,
    *,
    im_w: int,
    im_h: int,
    net_w: int,
    net_h: int,
    scoring_only: bool = False,
) -> list[Detection]:
    """Darknet `get_region_boxes` for a [region] head after `region_forward` (one image).

    Anchors are in grid cells. Returns all num*H*W detections in Darknet's order, index
    `n*H*W + row*W + col`; objectness and probabilities not above `thresh` are 0. Boxes are
    corrected for the letterbox and relative to the original `im_w` x `im_h` image.
    `scoring_only` returns only the boxes with a non-zero class prob, in the same order.
    """
    view = single_image(anchor_view(activated, num, coords, classes, "region"), "region")
    pairs = anchor_pairs(anchors, num, "region")
    _, _, h, w = view.shape
    rows, cols = _grid(h, w)
    limit = _F32(thresh)
    bx = (cols + view[:, 0]) / _F32(w)
    by = (rows + view[:, 1]) / _F32(h)
    bw = box_extent(view[:, 2], pairs[:, 0, None, None], w)
    bh = box_extent(view[:, 3], pairs[:, 1, None, None], h)
    scale = view[:, coords]
    objectness = np.where(scale > limit, scale, _F32(0.0))
    probs = scale[:, None] * view[:, coords + 1 :]
    probs = np.where((probs > limit) & (objectness[:, None] != 0), probs, _F32(0.0))
    boxes = np.stack([bx, by, bw, bh], axis=-1).reshape(-1, 4)
    boxes = correct_boxes(boxes, im_w, im_h, net_w, net_h)
    flat_probs = probs.transpose(0, 2, 3, 1).reshape(-1, classes)
    return _detections(boxes, objectness.reshape(-1), flat_probs, scoring_only)


def yolo_detections(
    activated: np.ndarray,
    anchors: ArrayLike,
    classes: int,
    thresh: float = 0.5,
    *,
    net_w: int,
    net_h: int,
    im_w: int,
    im_h: int,
    scale_x_y: float = 1.0,
    scoring_only: bool = False,
) -> list[Detection]:
    """Darknet `get_yolo_detections` for a [yolo] head after `yolo_forward` (one image).

    `anchors` are this head's masked anchors in network pixels. Only cells and anchors whose
    objectness exceeds `thresh` are returned, cell-major (for each cell, each anchor), with
    class probabilities not above `thresh` set to 0 and boxes corrected for the letterbox.
    `scale_x_y` applies AlexeyAB's `x * s - (s - 1) / 2` to the activated x and y;
    `scoring_only` as for region_detections.
    """
    view, pairs64, _ = yolo_head(activated, anchors, classes)
    _, _, h, w = view.shape
    rows, cols = _grid(h, w)
    limit = _F32(thresh)
    xy = view[:, 0:2]
    if scale_x_y != 1.0:
        xy = xy * _F32(scale_x_y) + _F32(-0.5 * (scale_x_y - 1.0))
    bx = (cols + xy[:, 0]) / _F32(w)
    by = (rows + xy[:, 1]) / _F32(h)
    bw = box_extent(view[:, 2], pairs64[:, 0, None, None], int(net_w))
    bh = box_extent(view[:, 3], pairs64[:, 1, None, None], int(net_h))
    objectness = view[:, 4]
    probs = objectness[:, None] * view[:, 5:]
    probs = np.where(probs > limit, probs, _F32(0.0))
    # Cell-major: [num, H, W] -> [H, W, num] so that index = (row*W + col)*num + n.
    boxes = np.stack([bx, by, bw, bh], axis=-1).transpose(1, 2, 0, 3).reshape(-1, 4)
    flat_obj = objectness.transpose(1, 2, 0).reshape(-1)
    flat_probs = probs.transpose(2, 3, 0, 1).reshape(-1, classes)
    keep = flat_obj > limit
    kept = correct_boxes(boxes[keep], im_w, im_h, net_w, net_h)
    return _detections(kept, flat_obj[keep], flat_probs[keep], scoring_only)
