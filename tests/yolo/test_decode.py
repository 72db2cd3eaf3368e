"""Decoding hand-built activated heads into Darknet detections: boxes, order, thresholds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.yolo import correct_boxes, region_detections, yolo_detections

F = np.float32


def region_tensor() -> np.ndarray:
    """Activated [region] head: num=2, classes=2, a 3-row x 4-column grid, one object."""
    act = np.zeros((1, 2 * 7, 3, 4), dtype=F)
    n, row, col = 1, 2, 1
    act[0, n * 7 : n * 7 + 7, row, col] = [0.5, 0.25, math.log(2.0), 0.0, 0.8, 0.25, 0.75]
    return act


def test_region_box_and_order() -> None:
    anchors = [[1.0, 1.0], [2.0, 3.0]]
    dets = region_detections(
        region_tensor(), anchors, 2, 2, 4, 0.3, im_w=416, im_h=416, net_w=416, net_h=416
    )
    assert len(dets) == 2 * 3 * 4
    hits = [i for i, d in enumerate(dets) if d.objectness > 0]
    assert hits == [1 * 12 + 2 * 4 + 1]  # anchor-major: n*H*W + row*W + col
    det = dets[hits[0]]
    assert det.x == pytest.approx(1.5 / 4) and det.y == pytest.approx(2.25 / 3)
    assert det.w == pytest.approx(2 * 2 / 4, rel=1e-6) and det.h == pytest.approx(3 / 3)
    assert det.objectness == F(0.8)
    assert det.prob.dtype == np.float32
    assert det.prob[0] == 0  # 0.8 * 0.25 = 0.2 is not above 0.3
    assert det.prob[1] == F(0.8) * F(0.75)
    assert all(not d.prob.any() for i, d in enumerate(dets) if i != hits[0])


def test_region_letterbox_correction() -> None:
    kwargs = dict(im_w=768, im_h=576, net_w=416, net_h=416)
    dets = region_detections(region_tensor(), [1, 1, 2, 3], 2, 2, 4, 0.3, **kwargs)
    plain = region_detections(
        region_tensor(), [1, 1, 2, 3], 2, 2, 4, 0.3, im_w=1, im_h=1, net_w=1, net_h=1
    )
    boxes = np.array([d.box for d in plain], dtype=F)
    expected = correct_boxes(boxes, 768, 576, 416, 416)
    np.testing.assert_array_equal(np.array([d.box for d in dets], dtype=F), expected)
    assert dets[21].y == pytest.approx((0.75 - 0.125) / 0.75)


def test_region_objectness_at_threshold_is_dropped() -> None:
    act = region_tensor()
    act[0, 11, 2, 1] = F(0.3)  # objectness exactly the threshold: Darknet keeps only > thresh
    dets = region_detections(act, [1, 1, 2, 3], 2, 2, 4, 0.3, im_w=9, im_h=9, net_w=9, net_h=9)
    assert all(d.objectness == 0 and not d.prob.any() for d in dets)


def test_region_bad_anchors_and_batch() -> None:
    kwargs = dict(im_w=9, im_h=9, net_w=9, net_h=9)
    with pytest.raises(QnnflowError, match="expected 2 anchors"):
        region_detections(region_tensor(), [1, 1, 2], 2, 2, 4, 0.3, **kwargs)
    batch = np.concatenate([region_tensor()] * 2)
    with pytest.raises(QnnflowError, match="batch of 2"):
        region_detections(batch, [1, 1, 2, 3], 2, 2, 4, 0.3, **kwargs)


def yolo_tensor() -> np.ndarray:
    """Activated [yolo] head: 2 masked anchors, classes=2, 2x2 grid, objectness 0.1 elsewhere."""
    act = np.zeros((1, 2 * 7, 2, 2), dtype=F)
    act[0, 4] = 0.1
    act[0, 11] = 0.1
    act[0, 7:14, 1, 0] = [0.5, 0.5, 0.0, math.log(0.5), 0.9, 0.5, 0.95]  # anchor 1, cell 2
    act[0, 0:7, 0, 1] = [1.0, 0.0, 0.0, 0.0, 0.6, 0.9, 0.1]  # anchor 0, cell 1
    return act


def test_yolo_cell_major_order_and_boxes() -> None:
    anchors = [[104, 52], [208, 416]]
    kwargs = dict(net_w=416, net_h=416, im_w=416, im_h=416)
    dets = yolo_detections(yolo_tensor(), anchors, 2, 0.5, **kwargs)
    assert len(dets) == 2
    first, second = dets  # cell (0, 1) comes before cell (1, 0)
    assert first.objectness == F(0.6) and second.objectness == F(0.9)
    assert first.x == pytest.approx(2.0 / 2) and first.y == pytest.approx(0.0)
    assert first.w == pytest.approx(104 / 416) and first.h == pytest.approx(52 / 416)
    assert second.x == pytest.approx(0.5 / 2) and second.y == pytest.approx(1.5 / 2)
    assert second.w == pytest.approx(208 / 416) and second.h == pytest.approx(0.5 * 416 / 416)
    assert first.prob[0] == F(0.6) * F(0.9) and first.prob[1] == 0
    assert second.prob[0] == 0 and second.prob[1] == F(0.9) * F(0.95)


def test_yolo_scale_x_y() -> None:
    kwargs = dict(net_w=416, net_h=416, im_w=416, im_h=416)
    dets = yolo_detections(yolo_tensor(), [104, 52, 208, 416], 2, 0.5, scale_x_y=2.0, **kwargs)
    assert dets[0].x == pytest.approx((1 + 1.0 * 2 - 0.5) / 2)  # x = 1.0 -> 1.5
    assert dets[1].x == pytest.approx((0 + 0.5) / 2)  # x = 0.5 stays at the centre


def test_yolo_bad_anchors() -> None:
    kwargs = dict(net_w=416, net_h=416, im_w=416, im_h=416)
    with pytest.raises(QnnflowError, match="pairs"):
        yolo_detections(yolo_tensor(), [104, 52, 208], 2, 0.5, **kwargs)
    with pytest.raises(QnnflowError, match="expected num"):
        yolo_detections(yolo_tensor(), [104, 52], 2, 0.5, **kwargs)
