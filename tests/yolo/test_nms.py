"""Darknet IoU and NMS on hand-computed cases, including the strict `>` at the threshold."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.yolo import Detection, box_iou, do_nms_obj, do_nms_sort

F = np.float32


def det(box: tuple[float, float, float, float], probs: list[float], obj: float = 1.0) -> Detection:
    return Detection(*box, objectness=obj, prob=np.array(probs, dtype=F))


def test_iou_hand_values() -> None:
    a = np.array([4.0, 4.0, 2.0, 1.0], dtype=F)
    assert box_iou(a, a) == 1.0
    assert box_iou(a, [4.0, 4.0, 1.0, 1.0]) == 0.5  # inside: 1 / (2 + 1 - 1)
    assert box_iou([0, 0, 1, 1], [0.5, 0, 1, 1]) == pytest.approx(1 / 3)
    assert box_iou(a, [10.0, 4.0, 2.0, 1.0]) == 0.0  # disjoint
    assert box_iou([0, 0, 1, 1], [1, 0, 1, 1]) == 0.0  # touching edges
    many = box_iou(a, np.array([[4, 4, 2, 1], [4, 4, 1, 1], [9, 9, 1, 1]], dtype=F))
    assert many.dtype == np.float32
    np.testing.assert_array_equal(many, [1.0, 0.5, 0.0])


def test_iou_rejects_bad_boxes() -> None:
    with pytest.raises(QnnflowError, match="x, y, w, h"):
        box_iou([0, 0, 1], [0, 0, 1, 1])


def pair_and_far() -> list[Detection]:
    return [
        det((4, 4, 1, 1), [0.6, 0.5]),  # weaker, IoU 0.5 with the next one
        det((4, 4, 2, 1), [0.9, 0.0]),
        det((20, 20, 1, 1), [0.8, 0.0]),  # far away
    ]


def test_nms_sort_suppresses_overlapping_weaker_box() -> None:
    dets = pair_and_far()
    out = do_nms_sort(dets, classes=2, thresh=0.45)
    assert [d.x for d in out] == [4, 4, 20]  # input order kept
    np.testing.assert_array_equal(out[0].prob, np.array([0.0, 0.5], dtype=F))  # class 1 untouched
    np.testing.assert_array_equal(out[1].prob, np.array([0.9, 0.0], dtype=F))
    np.testing.assert_array_equal(out[2].prob, np.array([0.8, 0.0], dtype=F))
    np.testing.assert_array_equal(dets[0].prob, np.array([0.6, 0.5], dtype=F))  # inputs not mutated


def test_nms_sort_keeps_box_at_exact_threshold() -> None:
    out = do_nms_sort(pair_and_far(), classes=2, thresh=0.5)  # IoU == 0.5 is not > 0.5
    np.testing.assert_array_equal(out[0].prob, np.array([0.6, 0.5], dtype=F))


def test_nms_sort_ties_keep_the_earlier_box() -> None:
    dets = [det((1, 1, 1, 1), [0.7]), det((1, 1, 1, 1), [0.7])]
    out = do_nms_sort(dets, classes=1, thresh=0.3)
    assert out[0].prob[0] == F(0.7) and out[1].prob[0] == 0


def test_nms_sort_chain_uses_updated_probs() -> None:
    # b suppresses c... only if b survives; a suppresses b, so c (not overlapping a) survives
    dets = [
        det((0.0, 0, 1, 1), [0.9]),
        det((0.5, 0, 1, 1), [0.8]),
        det((1.0, 0, 1, 1), [0.7]),
    ]
    out = do_nms_sort(dets, classes=1, thresh=0.3)
    assert [float(d.prob[0]) for d in out] == [F(0.9), 0.0, F(0.7)]


def test_nms_obj_zeroes_everything_of_the_weaker_box() -> None:
    dets = [
        det((4, 4, 1, 1), [0.3, 0.5], obj=0.6),
        det((4, 4, 2, 1), [0.9, 0.0], obj=0.9),
        det((4, 4, 2, 1), [0.9, 0.9], obj=0.0),  # objectness 0 takes no part
    ]
    out = do_nms_obj(dets, classes=2, thresh=0.45)
    assert out[0].objectness == 0 and not out[0].prob.any()
    assert out[1].objectness == F(0.9)
    np.testing.assert_array_equal(out[2].prob, np.array([0.9, 0.9], dtype=F))


def test_nms_needs_enough_class_probs() -> None:
    with pytest.raises(QnnflowError, match="need 3"):
        do_nms_sort(pair_and_far(), classes=3, thresh=0.5)
