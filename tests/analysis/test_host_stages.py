"""The representative frame the host stages are timed on: a camera-sized frame and heads
with exactly the planted number of boxes above the decode threshold."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.analysis.host_stages import CAMERA_H, CAMERA_W, camera_frame, planted_head
from qnnflow.driver.pipeline import DEFAULT_NMS, DEFAULT_THRESH, decode_and_nms, decode_heads

REGION = {"type": "region", "output": "r", "num": 5, "classes": 20, "coords": 4, "softmax": True}
REGION["anchors"] = [1.0, 1.5, 2.0, 3.0, 4.0, 4.5, 6.0, 7.0, 9.0, 10.0]
YOLO = {"type": "yolo", "output": "y", "num": 3, "classes": 80}
YOLO["anchors"] = [10, 14, 23, 27, 37, 58]
BOX = (CAMERA_W, CAMERA_H, 416, 416)


def _above(dets) -> int:
    return sum(1 for d in dets if np.any(d.prob > DEFAULT_THRESH))


@pytest.mark.parametrize(("head", "channels", "count"), [(REGION, 125, 32), (YOLO, 255, 7)])
def test_planted_boxes_are_exactly_the_candidates(head, channels, count):
    shape = [1, channels, 13, 13]
    raw = planted_head(head, shape, count)
    assert raw.shape == tuple(shape) and raw.dtype == np.float32
    dets = decode_heads([head], {head["output"]: raw}, DEFAULT_THRESH, BOX)
    assert _above(dets) == count
    kept = decode_and_nms([head], {head["output"]: raw}, DEFAULT_THRESH, DEFAULT_NMS, BOX)
    assert 1 <= _above(kept) <= count  # NMS works on them


@pytest.mark.parametrize(("head", "channels"), [(REGION, 125), (YOLO, 255)])
def test_each_planted_box_scores_one_class(head, channels):
    """One class per box, as documented: a yolo head's classes are logistic, so a class
    logit left at 0 would score 0.5 x objectness in every one of its 80 classes."""
    raw = planted_head(head, [1, channels, 13, 13], 9)
    dets = decode_heads([head], {head["output"]: raw}, DEFAULT_THRESH, BOX)
    assert len(dets) == 9
    assert all(np.count_nonzero(d.prob > DEFAULT_THRESH) == 1 for d in dets)


def test_more_candidates_than_boxes_plants_every_box():
    head = {**REGION, "num": 1, "anchors": [1.0, 1.0], "classes": 2}
    raw = planted_head(head, [1, 7, 2, 2], 50)
    dets = decode_heads([head], {"r": raw}, DEFAULT_THRESH, BOX)
    assert _above(dets) == 4


def test_camera_frame_is_a_seeded_uint8_rgb_frame():
    frame = camera_frame()
    assert frame.shape == (CAMERA_H, CAMERA_W, 3) and frame.dtype == np.uint8
    assert np.array_equal(frame, camera_frame())
