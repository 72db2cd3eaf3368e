"""Top-1 / top-5 accuracy of any classifier given as a batch function, so an ONNX model, a
QONNX model and a torch module are scored by the same code.

A sample counts for top-k when its label is among the k highest scores; ties rank the lower
class index first (a model with constant scores predicts class 0), and NaN scores rank last.
With fewer than five classes "top-5" is top-(number of classes), recorded as `top5_k`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qnnflow.errors import QnnflowError

TOP_K = 5
DEFAULT_BATCH = 64

RunBatch = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class TopK:
    """Counts of one model on one set; accuracies are fractions in [0, 1]."""

    images: int
    top1_correct: int
    top5_correct: int
    top5_k: int  # min(5, number of classes)

    @property
    def top1(self) -> float:
        return self.top1_correct / self.images if self.images else 0.0

    @property
    def top5(self) -> float:
        return self.top5_correct / self.images if self.images else 0.0

    def to_dict(self) -> dict:
        return {
            "images": self.images,
            "top1": round(self.top1, 6),
            "top5": round(self.top5, 6),
            "top5_k": self.top5_k,
        }


def drop_points(reference: TopK, other: TopK) -> dict[str, float]:
    """How many percentage points `other` loses against `reference` (negative: it gains)."""
    return {
        "top1": 100.0 * (reference.top1 - other.top1),
        "top5": 100.0 * (reference.top5 - other.top5),
    }


class TopKCounter:
    """Accumulates top-1 / top-k hits over batches of scores."""

    def __init__(self) -> None:
        self.images = self.top1 = self.top5 = 0
        self.classes: int | None = None

    def update(self, scores: np.ndarray, labels: np.ndarray) -> None:
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        flat = np.asarray(scores, dtype=np.float64)
        if flat.ndim == 0 or flat.shape[0] != labels.size:
            raise QnnflowError(
                f"the model returned scores of shape {list(flat.shape)} for {labels.size} inputs"
            )
        flat = flat.reshape(labels.size, -1)
        classes = flat.shape[1]
        if self.classes not in (None, classes):
            raise QnnflowError(f"the model returned {classes} scores, before {self.classes}")
        self.classes = classes
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise QnnflowError(
                f"a label ({int(labels.max())}) is outside the model's {classes} classes"
            )
        order = np.argsort(-np.nan_to_num(flat, nan=-np.inf), axis=1, kind="stable")
        hits = order[:, : min(TOP_K, classes)] == labels[:, None]
        self.images += labels.size
        self.top1 += int(hits[:, 0].sum())
        self.top5 += int(hits.any(axis=1).sum())

    def result(self) -> TopK:
        return TopK(self.images, self.top1, self.top5, min(TOP_K, self.classes or TOP_K))


def classify_accuracy(
    run_batch: RunBatch,
    images: Sequence | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    batch_size: int = DEFAULT_BATCH,
) -> TopK:
    """Top-1 / top-5 of `run_batch` ((N, C, H, W) float32 -> scores (N, classes), e.g. a torch
    module wrapped to numpy) over `images` (an array, or anything sliceable into arrays)."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if len(images) != labels.size:
        raise QnnflowError(f"{len(images)} images but {labels.size} labels")
    if len(images) == 0:
        raise QnnflowError("no images to score")
    if batch_size < 1:
        raise QnnflowError(f"the batch size must be at least 1, got {batch_size}")
    counter = TopKCounter()
    for start in range(0, len(images), batch_size):
        chunk = np.asarray(images[start : start + batch_size], dtype=np.float32)
        counter.update(run_batch(chunk), labels[start : start + batch_size])
    return counter.result()
