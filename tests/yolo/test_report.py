"""Darknet's printed `name: NN%` lines and the JSON boxes in image pixels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.yolo import Detection, detections_to_json, format_detections

F = np.float32
NAMES = ["aeroplane", "bicycle", "car"]


def det(box: tuple[float, float, float, float], probs: list[float]) -> Detection:
    return Detection(*box, objectness=1.0, prob=np.array(probs, dtype=F))


def test_lines_follow_detection_then_class_order() -> None:
    dets = [
        det((0.5, 0.5, 0.2, 0.2), [0.0, 0.9, 0.4]),
        det((0.1, 0.1, 0.1, 0.1), [0.0, 0.0, 0.0]),
        det((0.3, 0.3, 0.2, 0.2), [0.5, 0.0, 0.0]),
    ]
    assert format_detections(dets, NAMES, 0.3) == ["bicycle: 90%", "car: 40%", "aeroplane: 50%"]


def test_threshold_is_strict_in_float32() -> None:
    # 0.3f itself is not above 0.3f (a double 0.3 would let it through); the next float is
    above = float(np.nextafter(F(0.3), F(1)))
    dets = [det((0.5, 0.5, 0.2, 0.2), [0.3, above, 0.0])]
    assert format_detections(dets, NAMES, 0.3) == ["bicycle: 30%"]


def test_percent_uses_float_product_and_half_even() -> None:
    # 0.865f * 100 is exactly 86.5 in float32 and %.0f rounds it to 86 (a double product gives 87)
    dets = [det((0.5, 0.5, 0.2, 0.2), [0.865, 0.875, 0.0])]
    assert format_detections(dets, NAMES, 0.3) == ["aeroplane: 86%", "bicycle: 88%"]


def test_json_boxes_are_truncated_and_clamped() -> None:
    dets = [
        det((0.5, 0.5, 0.25, 0.5), [0.0, 0.0, 0.8]),
        det((0.0625, 0.875, 0.5, 0.5), [0.7, 0.6, 0.0]),  # spills over left and bottom
    ]
    out = detections_to_json(dets, NAMES, 0.5, 100, 60)
    assert [o["class"] for o in out] == ["car", "aeroplane", "bicycle"]
    assert out[0] == {
        "class": "car",
        "class_id": 2,
        "probability": pytest.approx(0.8),
        "left": 37,  # (0.5 - 0.125) * 100 = 37.5 truncated
        "top": 15,
        "right": 62,
        "bottom": 45,
    }
    assert (out[1]["left"], out[1]["top"], out[1]["right"], out[1]["bottom"]) == (0, 37, 31, 59)
    json.dumps(out)


def test_too_few_names() -> None:
    with pytest.raises(QnnflowError, match="only 2 class names"):
        format_detections([det((0.5, 0.5, 0.2, 0.2), [0.0, 0.0, 0.9])], NAMES[:2], 0.3)
