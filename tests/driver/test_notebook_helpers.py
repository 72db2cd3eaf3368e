"""Drawing, timing lines and the webcam loop of the notebook helpers (the loop through a
stand-in for OpenCV's VideoCapture, and its message when OpenCV is missing)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from PIL import Image

from qnnflow.driver.notebook_helpers import (
    NO_OPENCV,
    darknet_color,
    draw_boxes,
    fps_line,
    list_images,
    mean_seconds,
    timing_line,
    webcam_loop,
)
from qnnflow.driver.pipeline import PipelineResult
from qnnflow.errors import QnnflowError


def test_list_images_sorted_and_filtered(tmp_path):
    for name in ("b.JPG", "a.png", "notes.txt", "c.jpeg"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in list_images(tmp_path)] == ["a.png", "b.JPG", "c.jpeg"]
    assert list_images(tmp_path / "missing") == []


def test_darknet_colors():
    # class 1 of 3: offset 123457 % 3 = 1, ratio 5/3 between palette rows 1 and 2
    assert darknet_color(1, 3) == (255, 170, 0)
    # class 16 of 80: offset 32, ratio exactly 2.0: palette row 2 = (b, g, r) (0, 1, 1)
    assert darknet_color(16, 80) == (255, 255, 0)
    assert darknet_color(0, 80) == (255, 0, 255)


def test_draw_boxes_outlines_in_the_class_colour():
    image = np.full((40, 60, 3), 0.5, np.float32)
    box = {"class": "dog", "class_id": 1, "probability": 0.8,
           "left": 10, "top": 20, "right": 50, "bottom": 35}  # fmt: skip
    drawn = draw_boxes(image, [box], classes=3)
    assert isinstance(drawn, Image.Image) and drawn.size == (60, 40)
    pixels = np.asarray(drawn)
    color = darknet_color(1, 3)
    assert tuple(pixels[35, 30]) == color and tuple(pixels[28, 50]) == color
    assert tuple(pixels[28, 30]) == (128, 128, 128)  # inside stays the image
    assert tuple(pixels[5, 5]) == (128, 128, 128)
    assert tuple(pixels[19, 11]) == color  # label background above the box
    untouched = draw_boxes((image * 255).astype(np.uint8), [])
    assert np.array_equal(np.asarray(untouched), np.full((40, 60, 3), 127, np.uint8))


def test_timing_lines():
    seconds = {"load": 0.002, "letterbox": 0.001, "accel_accelerator": 0.0225}
    assert timing_line(seconds) == (
        "timings (ms): load 2.00 | letterbox 1.00 | accel_accelerator 22.50 | total 25.50"
    )
    results = [
        PipelineResult([], [], [], {"a": 1.0, "b": 2.0}),
        PipelineResult([], [], [], {"a": 3.0}),
    ]
    assert mean_seconds(results) == {"a": 2.0, "b": 2.0}
    assert fps_line({"load": 1.0, "run": 0.04}) == (
        "pipeline: 25.00 fps (40.00 ms per frame, without load)"
    )


class _Pipeline:
    heads = [{"classes": 2}]

    def __init__(self):
        self.frames = []

    def run(self, image):
        self.frames.append(image)
        box = {"class": "a", "class_id": 0, "probability": 0.5,
               "left": 1, "top": 1, "right": 3, "bottom": 3}  # fmt: skip
        return PipelineResult(["a: 50%"], [box], [], {"run": 0.01})


def _fake_cv2(frames: list[np.ndarray], opened: bool = True):
    state = {"released": False}

    class VideoCapture:
        def __init__(self, source):
            state["source"] = source
            self.left = list(frames)

        def isOpened(self):  # noqa: N802 (OpenCV's name)
            return opened

        def read(self):
            return (True, self.left.pop(0)) if self.left else (False, None)

        def release(self):
            state["released"] = True

    return types.SimpleNamespace(VideoCapture=VideoCapture), state


def test_webcam_loop_converts_bgr_and_stops(monkeypatch):
    bgr = np.zeros((8, 8, 3), np.uint8)
    bgr[..., 0] = 200  # blue in OpenCV's order
    cv2, state = _fake_cv2([bgr] * 5)
    monkeypatch.setitem(sys.modules, "cv2", cv2)
    pipeline, shown = _Pipeline(), []
    results = webcam_loop(pipeline, "clip.mp4", max_frames=3, show=lambda im, r: shown.append(im))
    assert len(results) == len(shown) == 3 and state == {"source": "clip.mp4", "released": True}
    assert pipeline.frames[0][0, 0].tolist() == [0, 0, 200]
    assert np.asarray(shown[0])[0, 0].tolist() == [0, 0, 200]  # outside the box
    cv2, state = _fake_cv2([bgr] * 2)
    monkeypatch.setitem(sys.modules, "cv2", cv2)
    assert len(webcam_loop(_Pipeline(), max_frames=10)) == 2 and state["released"]


def test_webcam_loop_without_opencv_or_camera(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 raises ImportError
    with pytest.raises(QnnflowError) as info:
        webcam_loop(_Pipeline())
    assert str(info.value) == NO_OPENCV and "python3-opencv" in NO_OPENCV
    cv2, _ = _fake_cv2([], opened=False)
    monkeypatch.setitem(sys.modules, "cv2", cv2)
    with pytest.raises(QnnflowError, match="cannot open video source 0"):
        webcam_loop(_Pipeline())
