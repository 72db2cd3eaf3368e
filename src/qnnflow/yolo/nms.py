"""Darknet box IoU and non-maximum suppression (`do_nms_sort`, `do_nms_obj`) in float32."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.yolo.decode import Detection

_F32 = np.float32


def _overlap(c1: np.ndarray, s1: np.ndarray, c2: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Darknet `overlap`: min(right edges) - max(left edges) of two centred 1-D extents."""
    half = _F32(2.0)
    left = np.maximum(c1 - s1 / half, c2 - s2 / half)
    right = np.minimum(c1 + s1 / half, c2 + s2 / half)
    return right - left


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of centre boxes [..., 4] = (x, y, w, h), broadcast, with Darknet's float32 formula.

    Intersection is 0 when either overlap is negative; union is `a.w*a.h + b.w*b.h - inter`.
    """
    a32 = np.asarray(a, dtype=_F32)
    b32 = np.asarray(b, dtype=_F32)
    if a32.shape[-1:] != (4,) or b32.shape[-1:] != (4,):
        raise QnnflowError(f"boxes must end in (x, y, w, h), got {a32.shape} and {b32.shape}")
    ow = _overlap(a32[..., 0], a32[..., 2], b32[..., 0], b32[..., 2])
    oh = _overlap(a32[..., 1], a32[..., 3], b32[..., 1], b32[..., 3])
    inter = np.where((ow < 0) | (oh < 0), _F32(0.0), ow * oh)
    union = a32[..., 2] * a32[..., 3] + b32[..., 2] * b32[..., 3] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return (inter / union).astype(_F32)


def _arrays(dets: list[Detection], classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    boxes = np.array([d.box for d in dets], dtype=_F32).reshape(-1, 4)
    objectness = np.array([d.objectness for d in dets], dtype=_F32)
    probs = np.zeros((len(dets), classes), dtype=_F32)
    for row, det in enumerate(dets):
        if det.prob.shape[0] < classes:
            raise QnnflowError(f"detection has {det.prob.shape[0]} class probs, need {classes}")
        probs[row] = det.prob[:classes]
    return boxes, objectness, probs


def _rebuild(
    dets: list[Detection], objectness: np.ndarray, probs: np.ndarray, classes: int
) -> list[Detection]:
    out = []
    for det, obj, row in zip(dets, objectness, probs, strict=True):
        prob = det.prob.copy()
        prob[:classes] = row
        out.append(replace(det, objectness=float(obj), prob=prob))
    return out


def do_nms_sort(dets: list[Detection], classes: int, thresh: float) -> list[Detection]:
    """Per-class greedy NMS: zero a class prob of any box overlapping a stronger one by > thresh.

    Like Darknet, one index order is stable-sorted by each class in turn (so ties keep the
    previous class's order); the returned copies keep the input order, so printing them in
    order matches Darknet's array order. A box whose class probs are all 0 neither suppresses
    nor changes (and a stable sort keeps the others' relative order without it), so only the
    boxes with a non-zero prob take part; the rest are returned as they are. Likewise a class
    that no box scores leaves the order and every prob as they are, so it is skipped.
    """
    active = [i for i, d in enumerate(dets) if np.any(d.prob[:classes] != 0)]
    if not active:
        return list(dets)
    chosen = [dets[i] for i in active]
    boxes, objectness, probs = _arrays(chosen, classes)
    limit = _F32(thresh)
    order = np.arange(len(chosen))
    # every pair's IoU once: the same float32 operations, element by element, as per pair
    overlaps = box_iou(boxes[:, None], boxes[None, :]) > limit
    # a class with no non-zero prob sorts to the same order and suppresses nothing: skip it
    for k in np.flatnonzero(probs.any(axis=0)):
        order = order[np.argsort(-probs[order, k], kind="stable")]
        for pos in np.flatnonzero(probs[order, k] != 0):
            i = order[pos]
            if probs[i, k] == 0:
                continue
            later = order[pos + 1 :]
            probs[later[overlaps[i, later]], k] = 0
    out = list(dets)
    for index, det in zip(active, _rebuild(chosen, objectness, probs, classes), strict=True):
        out[index] = det
    return out


def do_nms_obj(dets: list[Detection], classes: int, thresh: float) -> list[Detection]:
    """Objectness NMS: sort by objectness; a box overlapping a stronger one by > thresh loses all.

    Boxes with objectness 0 take no part. The returned copies keep the input order.
    """
    boxes, objectness, probs = _arrays(dets, classes)
    limit = _F32(thresh)
    order = np.argsort(-objectness, kind="stable")
    for pos, i in enumerate(order):
        if objectness[i] == 0:
            continue
        later = order[pos + 1 :]
        later = later[objectness[later] != 0]
        hit = later[box_iou(boxes[i], boxes[later]) > limit]
        objectness[hit] = 0
        probs[hit] = 0
    return _rebuild(dets, objectness, probs, classes)
