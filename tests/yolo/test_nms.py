"""Darknet IoU and NMS on hand-computed cases, including the strict `>` at the threshold."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.yolo import Detection, box_iou, do_nms_obj, do_nms_sort
from qnnflow.yolo.nms import _nms_general, nms_sort_probs
from tests.yolo.references import per_pair_nms

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


def test_nms_sort_equals_the_per_pair_loop_on_clustered_boxes_with_ties() -> None:
    """Clusters of overlapping boxes, tied probs, unused classes and all-zero boxes: the pair
    matrix and the skipped classes give exactly Darknet's per-pair result."""
    rng = np.random.default_rng(7)
    classes, count = 9, 60
    centres = rng.random((4, 2), dtype=np.float32)
    dets = []
    for n in range(count):
        x, y = centres[n % 4] + np.float32(0.05) * rng.standard_normal(2).astype(np.float32)
        w, h = np.float32(0.2) + np.float32(0.1) * rng.random(2, dtype=np.float32)
        prob = np.zeros(classes, np.float32)
        if n % 5:  # every fifth box scores nothing
            picks = rng.choice([0, 2, 3, 7], size=2, replace=False)  # classes 1,4,5,6,8 unused
            prob[picks] = rng.choice(np.array([0.6, 0.8, 0.9], np.float32), size=2)
        dets.append(Detection(float(x), float(y), float(w), float(h), 0.9, prob))
    got = np.array([d.prob for d in do_nms_sort(dets, classes, 0.45)])
    expected = per_pair_nms(dets, classes, 0.45)
    np.testing.assert_array_equal(got, expected)
    assert 0 < np.count_nonzero(got) < np.count_nonzero([d.prob for d in dets])


@pytest.mark.parametrize("seed", range(6))
def test_array_nms_equals_the_general_loop_with_ties_across_classes(seed) -> None:
    """Probs from three values only (ties inside a class and across classes, where the
    earlier classes' order breaks them), boxes in tight clusters, some all-zero rows."""
    rng = np.random.default_rng(seed)
    count, classes = 40, 6
    boxes = np.concatenate(
        [rng.random((count, 2), dtype=F), F(0.1) + F(0.2) * rng.random((count, 2), dtype=F)],
        axis=1,
    )
    boxes[:, :2] = np.round(boxes[:, :2] * 4) / 4  # clusters
    probs = rng.choice(np.array([0, 0, 0, 0.4, 0.7, 0.9], F), size=(count, classes))
    got = nms_sort_probs(boxes, probs, 0.3)
    np.testing.assert_array_equal(got, _nms_general(boxes, probs.copy(), 0.3))
    dets = [Detection(*b, 1.0, p) for b, p in zip(boxes.tolist(), probs, strict=True)]
    np.testing.assert_array_equal(got, per_pair_nms(dets, classes, 0.3))
    assert np.count_nonzero(got) < np.count_nonzero(probs)


@pytest.mark.parametrize("odd", [-0.5, np.nan, np.inf])
def test_negative_or_non_finite_probs_take_the_general_loop(odd) -> None:
    probs = np.array([[0.9, 0.0], [0.8, odd], [0.7, 0.6]], F)
    boxes = np.array([[4, 4, 2, 1], [4, 4, 2, 1.2], [4, 4.1, 2, 1]], F)
    got = nms_sort_probs(boxes, probs, 0.3)
    np.testing.assert_array_equal(got, _nms_general(boxes, probs.copy(), 0.3))
    assert got[0, 0] == F(0.9) and got[1, 0] == got[2, 0] == 0


def test_nms_arrays_of_the_wrong_shape_are_an_error() -> None:
    with pytest.raises(QnnflowError, match=r"boxes \[n, 4\] and probs \[n, classes\]"):
        nms_sort_probs(np.zeros((2, 4), F), np.zeros((3, 2), F), 0.3)
