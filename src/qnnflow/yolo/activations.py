"""Darknet [region] (YOLOv2) and [yolo] (YOLOv3) forward activations on a raw NCHW head."""

from __future__ import annotations

import numpy as np

from qnnflow.yolo.layout import anchor_view

_F32 = np.float32


def logistic(x: np.ndarray) -> np.ndarray:
    """Darknet `logistic_activate`: `1./(1. + exp(-x))` evaluated in double, stored as float."""
    wide = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-wide))).astype(_F32)


def darknet_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """Darknet `softmax` along `axis`: float max (floored at -FLT_MAX), double exp, float sum.

    The sum runs class by class in float32 like the C loop, not numpy's pairwise summation:
    `add.accumulate` is that sequential loop (its last row is the C loop's total).
    """
    values = np.moveaxis(np.asarray(x, dtype=_F32), axis, 0)
    largest = np.maximum(values.max(axis=0), _F32(-np.finfo(_F32).max))
    exps = np.exp((values - largest).astype(np.float64)).astype(_F32)
    total = np.add.accumulate(exps, axis=0)[-1]
    return np.moveaxis(exps / total, 0, axis)


def region_forward(
    x: np.ndarray, num: int, classes: int, coords: int = 4, softmax: bool = True
) -> np.ndarray:
    """Darknet [region] forward: logistic on x, y and objectness, w/h raw, classes softmaxed.

    `x` is the raw head [N, num*(coords+1+classes), H, W] (or CHW); returns a new float32 array
    of the same shape. With `softmax=False` the classes get a logistic, as Darknet's CPU path
    does.
    """
    view = anchor_view(x, num, coords, classes, "region")
    view[:, :, 0:2] = logistic(view[:, :, 0:2])
    view[:, :, coords] = logistic(view[:, :, coords])
    cls = view[:, :, coords + 1 :]
    view[:, :, coords + 1 :] = darknet_softmax(cls, axis=2) if softmax else logistic(cls)
    return view.reshape(np.shape(x))


def yolo_forward(x: np.ndarray, num: int, classes: int) -> np.ndarray:
    """Darknet [yolo] forward: logistic on x, y, objectness and every class; w/h stay raw.

    `num` is the number of masked anchors of this head; returns a new float32 array shaped like
    `x` ([N, num*(5+classes), H, W] or CHW).
    """
    view = anchor_view(x, num, 4, classes, "yolo")
    view[:, :, 0:2] = logistic(view[:, :, 0:2])
    view[:, :, 4:] = logistic(view[:, :, 4:])
    return view.reshape(np.shape(x))
