"""Mean average precision at IoU 0.5 (mAP@0.5), the PASCAL VOC detection metric.

Choices, all fixed here so numbers are comparable between runs and models:

- Boxes are (cx, cy, w, h) in any one unit (we pass normalised coordinates); IoU is computed on
  continuous coordinates, `inter / (area_a + area_b - inter)`, without the VOC devkit's "+1
  pixel" on widths (which only makes sense for integer pixel boxes). A box with zero area has
  IoU 0 with everything.
- A detection is a true positive when its IoU with a ground-truth box of the same class is
  >= `iou_threshold` (0.5). Detections of a class are processed over the whole split in order
  of decreasing confidence; ties keep input order (image order, then detection order: a
  stable sort), so the result is deterministic.
- Greedy matching: each detection takes the *still unmatched* ground-truth box of its class
  in its image with the highest IoU, if that IoU reaches the threshold; a ground-truth box is
  matched at most once, so duplicates (a second detection of an already-found object, with no
  other free box to take) are false positives. (The VOC devkit instead looks only at the
  single highest-IoU box and counts a duplicate when that one is taken; the two agree except
  when two objects of one class overlap heavily.)
- There are no "difficult" flags: every ground-truth box counts.
- AP is the VOC 2010+ all-point interpolated AP: precision is made monotonically
  non-increasing from the right, and AP sums `(r[i] - r[i-1]) * p[i]` over every point where
  recall changes (the area under that envelope), not the 11-point VOC 2007 average.
- A class with ground truth but no detections has AP 0. A class without ground-truth boxes in
  the evaluated images has no AP (None) and is excluded from the mean; its detections are
  simply not scored. mAP of a set with no ground truth at all is a QnnflowError.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qnnflow.errors import QnnflowError


@dataclass
class ImageBoxes:
    """The boxes of one image: ground truth (scores unused) or detections (scores = confidence)."""

    boxes: np.ndarray  # [N, 4] (cx, cy, w, h)
    classes: np.ndarray  # [N] int
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [N] for detections

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        self.classes = np.asarray(self.classes, dtype=np.int64).reshape(-1)
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        if len(self.classes) != len(self.boxes):
            raise QnnflowError(f"{len(self.boxes)} boxes but {len(self.classes)} classes")
        if self.scores.size and len(self.scores) != len(self.boxes):
            raise QnnflowError(f"{len(self.boxes)} boxes but {len(self.scores)} scores")


@dataclass
class MapResult:
    """mAP and its parts; `ap[c]` is None for a class without ground truth."""

    mean_ap: float
    ap: list[float | None]
    ground_truth: list[int]
    detections: list[int]

    def to_dict(self, names: Sequence[str] | None = None) -> dict:
        names = list(names) if names else [str(c) for c in range(len(self.ap))]
        return {
            "map50": self.mean_ap,
            "per_class": {
                name: {"ap50": ap, "ground_truth": gt, "detections": det}
                for name, ap, gt, det in zip(
                    names, self.ap, self.ground_truth, self.detections, strict=True
                )
            },
        }


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every centre box in `a` [N, 4] with every one in `b` [M, 4] -> [N, M]."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)[:, None, :]
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)[None, :, :]
    iw = np.minimum(a[..., 0] + a[..., 2] / 2, b[..., 0] + b[..., 2] / 2) - np.maximum(
        a[..., 0] - a[..., 2] / 2, b[..., 0] - b[..., 2] / 2
    )
    ih = np.minimum(a[..., 1] + a[..., 3] / 2, b[..., 1] + b[..., 3] / 2) - np.maximum(
        a[..., 1] - a[..., 3] / 2, b[..., 1] - b[..., 3] / 2
    )
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC 2010+ all-point interpolated AP from recall/precision in confidence order."""
    r = np.concatenate([[0.0], np.asarray(recall, dtype=np.float64), [1.0]])
    p = np.concatenate([[0.0], np.asarray(precision, dtype=np.float64), [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]  # the envelope: best precision at >= recall
    steps = np.flatnonzero(r[1:] != r[:-1]) + 1
    return float(np.sum((r[steps] - r[steps - 1]) * p[steps]))


def _class_ap(
    truths: Sequence[ImageBoxes], dets: Sequence[ImageBoxes], c: int, iou_threshold: float
) -> tuple[float | None, int, int]:
    gt_boxes = [t.boxes[t.classes == c] for t in truths]
    n_gt = sum(len(g) for g in gt_boxes)
    entries = [
        (float(d.scores[k]), image, d.boxes[k])
        for image, d in enumerate(dets)
        for k in np.flatnonzero(d.classes == c)
    ]
    if n_gt == 0:
        return None, 0, len(entries)
    order = sorted(range(len(entries)), key=lambda i: -entries[i][0])  # stable on ties
    matched = [np.zeros(len(g), dtype=bool) for g in gt_boxes]
    tp = np.zeros(len(entries))
    for rank, i in enumerate(order):
        _, image, box = entries[i]
        if not len(gt_boxes[image]):
            continue
        ious = iou_matrix(box, gt_boxes[image])[0]
        ious[matched[image]] = -1.0
        best = int(np.argmax(ious))
        if ious[best] >= iou_threshold:
            matched[image][best] = True
            tp[rank] = 1.0
    if not entries:
        return 0.0, n_gt, 0
    cum_tp = np.cumsum(tp)
    recall = cum_tp / n_gt
    precision = cum_tp / np.arange(1, len(entries) + 1)
    return average_precision(recall, precision), n_gt, len(entries)


def mean_average_precision(
    truths: Sequence[ImageBoxes],
    detections: Sequence[ImageBoxes],
    num_classes: int,
    iou_threshold: float = 0.5,
) -> MapResult:
    """mAP over `num_classes` classes; `truths[i]` and `detections[i]` are the same image."""
    if len(truths) != len(detections):
        raise QnnflowError(f"{len(truths)} ground-truth images but {len(detections)} detected")
    for item in [*truths, *detections]:
        if item.classes.size and not (0 <= item.classes.min() and item.classes.max() < num_classes):
            raise QnnflowError(f"class ids must be in 0..{num_classes - 1}")
    for d in detections:
        if d.classes.size and d.scores.size != d.classes.size:
            raise QnnflowError("detections need one score per box")
    per_class = [_class_ap(truths, detections, c, iou_threshold) for c in range(num_classes)]
    aps = [ap for ap, _, _ in per_class]
    scored = [ap for ap in aps if ap is not None]
    if not scored:
        raise QnnflowError("no ground-truth boxes in the evaluated images: mAP is undefined")
    return MapResult(
        mean_ap=float(np.mean(scored)),
        ap=aps,
        ground_truth=[n for _, n, _ in per_class],
        detections=[n for _, _, n in per_class],
    )
