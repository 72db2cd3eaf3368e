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
    boxes with a non-zero prob take part (`nms_sort_probs`); the rest are returned as they are.
    """
    active = [i for i, d in enumerate(dets) if np.any(d.prob[:classes] != 0)]
    if not active:
        return list(dets)
    chosen = [dets[i] for i in active]
    boxes, objectness, probs = _arrays(chosen, classes)
    probs = nms_sort_probs(boxes, probs, thresh)
    out = list(dets)
    for index, det in zip(active, _rebuild(chosen, objectness, probs, classes), strict=True):
        out[index] = det
    return out


def nms_sort_probs(boxes: np.ndarray, probs: np.ndarray, thresh: float) -> np.ndarray:
    """`do_nms_sort` on arrays: boxes [n, 4], class probs [n, classes] -> the probs after
    suppression (a new float32 array). Probs that are all finite and >= 0 (every decoded
    head's) take `_nms_nonnegative`; anything else the sorted-order loop `_nms_general`."""
    probs = np.array(probs, dtype=_F32)
    boxes = np.asarray(boxes, dtype=_F32)
    if probs.ndim != 2 or boxes.shape != (probs.shape[0], 4):
        raise QnnflowError(
            f"NMS needs boxes [n, 4] and probs [n, classes], got {boxes.shape} and {probs.shape}"
        )
    counts = np.count_nonzero(probs, axis=0)
    if not (counts > 1).any():  # suppression needs two boxes with the same class
        return probs
    if np.isfinite(probs).all() and (probs >= 0).all():
        return _nms_nonnegative(boxes, probs, counts, thresh)
    return _nms_general(boxes, probs, thresh)


def _nms_general(boxes: np.ndarray, probs: np.ndarray, thresh: float) -> np.ndarray:
    """Darknet's loop over classes on one index order, stable-sorted by each class in turn;
    a class that no box scores leaves the order and every prob as they are (skipped)."""
    limit = _F32(thresh)
    order = np.arange(len(probs))
    # every pair's IoU once: the same float32 operations, element by element, as per pair
    overlaps = box_iou(boxes[:, None], boxes[None, :]) > limit
    for k in np.flatnonzero(probs.any(axis=0)):
        order = order[np.argsort(-probs[order, k], kind="stable")]
        for pos in np.flatnonzero(probs[order, k] != 0):
            i = order[pos]
            if probs[i, k] == 0:
                continue
            later = order[pos + 1 :]
            probs[later[overlaps[i, later]], k] = 0
    return probs


def _nms_nonnegative(
    boxes: np.ndarray, probs: np.ndarray, counts: np.ndarray, thresh: float
) -> np.ndarray:
    """`_nms_general` for probs >= 0, class by class on that class's scoring boxes only.

    Zero probs neither suppress nor change, so each class's greedy pass runs over its
    non-zero boxes alone, in the order the general loop gives them: by prob, ties in the
    order left by the earlier classes' stable sorts. That order is kept over the boxes that
    take part (a stable sort keeps a subset's relative order) and brought up to date only
    when a class has tied probs. A class whose boxes overlap no other of its boxes (IoU
    symmetric, so whatever their order) suppresses nothing and is skipped, as is a class
    with one box. Same result as the general loop (tests compare them)."""
    limit = _F32(thresh)
    scoring = np.flatnonzero(counts).tolist()
    shared = [k for k in scoring if counts[k] > 1]
    rows = np.flatnonzero((probs[:, shared] != 0).any(axis=1))
    near = box_iou(boxes[rows, None], boxes[None, rows]) > limit
    np.fill_diagonal(near, False)
    neighbours: list[list[int]] = [[] for _ in range(len(rows))]
    for a, b in zip(*(side.tolist() for side in np.nonzero(near)), strict=True):
        neighbours[a].append(b)
    keys = probs[np.ix_(rows, scoring)].T.tolist()  # [scoring class][row], before suppression
    order, applied = list(range(len(rows))), -1  # the stable sorts of scoring[: applied + 1]
    for m, k in enumerate(scoring):
        column = keys[m]
        members = [r for r, p in enumerate(column) if p != 0] if counts[k] > 1 else []
        group = set(members)
        if not any(n in group for r in members for n in neighbours[r]):
            continue
        if len(set(column[r] for r in members)) == len(members):  # no ties: the prob alone
            ranked = sorted(members, key=column.__getitem__, reverse=True)
        else:
            while applied < m:  # descending and stable, as argsort(-p, stable)
                applied += 1
                order.sort(key=keys[applied].__getitem__, reverse=True)
            ranked = [r for r in order if r in group]
        place = {r: i for i, r in enumerate(ranked)}
        lost: set[int] = set()
        for i, r in enumerate(ranked):
            if r not in lost:
                lost.update(n for n in neighbours[r] if place.get(n, -1) > i)
        probs[rows[sorted(lost)], k] = 0
    return probs


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
