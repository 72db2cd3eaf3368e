"""Region loss on hand-computable cases."""

from __future__ import annotations

import math

import pytest
import torch

from qnnflow.errors import QnnflowError
from qnnflow.quant.qat.region_loss import RegionLossConfig, region_loss

torch.set_num_threads(1)
CFG = RegionLossConfig(anchors=(1.0, 1.0, 2.0, 3.0), classes=3, rescore=False)
BIG = 12.0  # logit for a near-certain logistic / softmax


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _perfect(truth: list[float]) -> torch.Tensor:
    """A 4x4 head predicting `truth` (class, cx, cy, w, h) exactly with anchor 1."""
    raw = torch.zeros(1, 2 * 8, 4, 4)
    raw[0, 4] = -BIG  # anchor 0 objectness ~ 0
    raw[0, 8 + 4] = -BIG
    cls, cx, cy, w, h = truth
    i, j = int(cx * 4), int(cy * 4)
    raw[0, 8 + 0, j, i] = _logit(cx * 4 - i)
    raw[0, 8 + 1, j, i] = _logit(cy * 4 - j)
    raw[0, 8 + 2, j, i] = math.log(w * 4 / 2.0)
    raw[0, 8 + 3, j, i] = math.log(h * 4 / 3.0)
    raw[0, 8 + 4, j, i] = BIG
    raw[0, 8 + 5 + int(cls), j, i] = BIG
    return raw


def test_perfect_prediction_has_near_zero_loss():
    truth = [1.0, 0.6, 0.35, 0.5, 0.75]  # shape 2x3 cells: anchor 1 is responsible
    parts = region_loss(_perfect(truth), [torch.tensor([truth])], CFG)
    for name in ("coord", "obj", "noobj", "cls"):
        assert parts[name].item() < 1e-4, name


def test_no_object_loss_is_half_noobject_scale_times_obj_squared():
    raw = torch.zeros(2, 16, 4, 4)  # every objectness is logistic(0) = 0.5
    parts = region_loss(raw, [torch.zeros(0, 5), torch.zeros(0, 5)], CFG)
    assert parts["noobj"].item() == pytest.approx(0.5 * 0.25 * 2 * 16)  # per image
    assert parts["coord"].item() == parts["cls"].item() == 0.0


def test_gradients_point_towards_the_truth():
    truth = [2.0, 0.6, 0.35, 0.5, 0.75]
    raw = _perfect(truth)
    raw[0, 8 + 0, 1, 2] -= 1.0  # x too small
    raw[0, 8 + 2, 1, 2] += 0.5  # w too large
    raw[0, 8 + 4, 1, 2] = 0.0  # objectness 0.5 instead of 1
    raw[0, 8 + 5 + 2, 1, 2] = 0.0  # class 2 not favoured
    raw[0, 4, 0, 0] = 2.0  # anchor 0 in an empty cell claims an object
    raw.requires_grad_(True)
    region_loss(raw, [torch.tensor([truth])], CFG)["total"].backward()
    g = raw.grad[0]
    assert g[8 + 0, 1, 2] < 0  # descent raises x
    assert g[8 + 2, 1, 2] > 0  # descent shrinks w
    assert g[8 + 4, 1, 2] < 0  # descent raises objectness
    assert g[8 + 5 + 2, 1, 2] < 0 and g[8 + 5 + 0, 1, 2] > 0  # towards the right class
    assert g[4, 0, 0] > 0  # empty cell's objectness goes down


def test_rescore_targets_the_iou():
    truth = [0.0, 0.6, 0.35, 0.5, 0.75]
    raw = _perfect(truth)
    raw[0, 8 + 2, 1, 2] += math.log(2.0)  # predicted width doubled: IoU = 0.5
    cfg = RegionLossConfig(anchors=CFG.anchors, classes=3, rescore=True, object_scale=5.0)
    parts = region_loss(raw, [torch.tensor([truth])], cfg)
    assert parts["obj"].item() == pytest.approx(0.5 * 5.0 * 0.5**2, rel=1e-3)


def test_bad_head_shape_is_a_clear_error():
    with pytest.raises(QnnflowError, match="channels"):
        region_loss(torch.zeros(1, 10, 4, 4), [torch.zeros(0, 5)], CFG)
