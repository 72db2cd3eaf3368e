"""mAP@0.5 against cases worked out by hand (see qnnflow.data.map for the rules)."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.data.map import ImageBoxes, average_precision, iou_matrix, mean_average_precision
from qnnflow.errors import QnnflowError

A = [0.25, 0.25, 0.2, 0.2]
B = [0.75, 0.75, 0.2, 0.2]
C = [0.25, 0.75, 0.2, 0.2]
D = [0.75, 0.25, 0.2, 0.2]
FAR = [0.5, 0.5, 0.05, 0.05]


def truth(boxes, classes) -> ImageBoxes:
    return ImageBoxes(np.array(boxes), np.array(classes))


def dets(boxes, classes, scores) -> ImageBoxes:
    return ImageBoxes(np.array(boxes), np.array(classes), np.array(scores))


def test_perfect_detections_score_one():
    gts = [truth([A, B], [0, 1]), truth([C], [0])]
    found = [dets([A, B], [0, 1], [0.9, 0.8]), dets([C], [0], [0.3])]
    result = mean_average_precision(gts, found, 2)
    assert result.mean_ap == pytest.approx(1.0)
    assert result.ap == [pytest.approx(1.0), pytest.approx(1.0)]
    assert result.ground_truth == [2, 1] and result.detections == [2, 1]


def test_false_positive_ranked_first():
    # ranks: FP, TP, TP -> precision 0, 1/2, 2/3 at recall 0, 1/2, 1; envelope 2/3 everywhere
    gts = [truth([A, B], [0, 0])]
    found = [dets([FAR, A, B], [0, 0, 0], [0.9, 0.8, 0.7])]
    assert mean_average_precision(gts, found, 1).mean_ap == pytest.approx(2 / 3)


def test_duplicate_is_a_false_positive():
    # A, A again, B -> TP, FP, TP: recall 1/2, 1/2, 1 precision 1, 1/2, 2/3 -> 1/2 + 1/2 * 2/3
    gts = [truth([A, B], [0, 0])]
    found = [dets([A, A, B], [0, 0, 0], [0.9, 0.8, 0.7])]
    assert mean_average_precision(gts, found, 1).mean_ap == pytest.approx(0.5 + 1 / 3)


def test_missed_boxes_cap_recall():
    gts = [truth([A, B, C, D], [0, 0, 0, 0])]
    found = [dets([A, B], [0, 0], [0.9, 0.8])]
    assert mean_average_precision(gts, found, 1).mean_ap == pytest.approx(0.5)


def test_two_classes_average_and_a_class_without_truth_is_excluded():
    gts = [truth([A, B], [0, 1]), truth([C], [1])]
    # class 0 perfect (AP 1); class 1 finds C only (AP 1/2); class 2 has no truth: not scored
    found = [dets([A, D], [0, 2], [0.9, 0.99]), dets([C], [1], [0.5])]
    result = mean_average_precision(gts, found, 3)
    assert result.ap[0] == pytest.approx(1.0)
    assert result.ap[1] == pytest.approx(0.5)
    assert result.ap[2] is None
    assert result.mean_ap == pytest.approx(0.75)
    assert result.to_dict(["a", "b", "c"])["per_class"]["c"] == {
        "ap50": None,
        "ground_truth": 0,
        "detections": 1,
    }


def test_no_detections_score_zero():
    gts = [truth([A], [0]), truth([B], [1])]
    result = mean_average_precision(gts, [dets([], [], []), dets([], [], [])], 2)
    assert result.mean_ap == 0.0 and result.ap == [0.0, 0.0]


def test_wrong_class_is_not_a_match():
    result = mean_average_precision([truth([A], [0])], [dets([A], [1], [0.9])], 2)
    assert result.ap == [0.0, None] and result.mean_ap == 0.0


def test_iou_of_exactly_one_half_counts_and_just_below_does_not():
    gt = [0.5, 0.5, 0.5, 0.25]
    half = [0.5, 0.5, 0.25, 0.25]
    assert iou_matrix(gt, half)[0, 0] == 0.5
    assert mean_average_precision([truth([gt], [0])], [dets([half], [0], [1])], 1).mean_ap == 1
    below = [0.5, 0.5, 0.24, 0.25]
    assert mean_average_precision([truth([gt], [0])], [dets([below], [0], [1])], 1).mean_ap == 0


def test_greedy_matching_takes_the_best_unmatched_box():
    a, b = [0.5, 0.5, 0.4, 0.4], [0.56, 0.5, 0.4, 0.4]
    second = [0.51, 0.5, 0.4, 0.4]
    ious = iou_matrix(second, [a, b])[0]
    assert ious[0] > ious[1] >= 0.5  # best box is taken by the first detection
    result = mean_average_precision([truth([a, b], [0, 0])], [dets([a, second], [0, 0], [2, 1])], 1)
    assert result.mean_ap == pytest.approx(1.0)


def test_ties_keep_input_order():
    # equal scores: the FP listed first is ranked first -> AP 2/3 (as in the FP-first case)
    found = [dets([FAR, A, B], [0, 0, 0], [0.5, 0.5, 0.5])]
    assert mean_average_precision([truth([A, B], [0, 0])], found, 1).mean_ap == pytest.approx(2 / 3)


def test_all_point_interpolation():
    assert average_precision([0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3]) == pytest.approx(5 / 6)
    # the envelope lifts precision at low recall to the best later value
    assert average_precision([0.25, 0.5], [0.5, 1.0]) == pytest.approx(0.5)


def test_zero_area_boxes_have_zero_iou():
    assert iou_matrix([0.5, 0.5, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0])[0, 0] == 0.0


def test_bad_input_is_a_clear_error():
    with pytest.raises(QnnflowError, match="undefined"):
        mean_average_precision([truth([], [])], [dets([A], [0], [1])], 1)
    with pytest.raises(QnnflowError, match="ground-truth images"):
        mean_average_precision([truth([A], [0])], [], 1)
    with pytest.raises(QnnflowError, match="class ids"):
        mean_average_precision([truth([A], [3])], [dets([], [], [])], 2)
    with pytest.raises(QnnflowError, match="one score per box"):
        mean_average_precision([truth([A], [0])], [ImageBoxes(np.array([A]), np.array([0]))], 1)
    with pytest.raises(QnnflowError, match="2 boxes but 1 classes"):
        ImageBoxes(np.array([A, B]), np.array([0]))
