"""Detector evaluation: a hand-built shape detector scores high, a broken one low, and the
default Darknet model runs through the same path."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.data.evaluate import (
    MAP_NMS,
    MAP_THRESH,
    detect_boxes,
    evaluate_detector,
    evaluate_detectors,
)
from qnnflow.data.reader import DetectionDataset
from qnnflow.detector import Detector
from qnnflow.errors import QnnflowError
from tests.data.shape_detector import plain_dataset, shape_detector

SIZE = 64


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> DetectionDataset:
    return DetectionDataset(plain_dataset(tmp_path_factory.mktemp("ds") / "plain", SIZE, 24))


def test_detections_are_normalised_boxes_of_the_object(plain):
    detector = Detector(shape_detector(SIZE), plain.names, MAP_THRESH, MAP_NMS)
    item = plain[0]
    found = detect_boxes(detector, item.image)
    assert len(found.boxes) >= 1 and np.all(found.scores > MAP_THRESH)
    best = found.boxes[np.argmax(found.scores)]
    assert np.abs(best - item.boxes[0]).max() < 1e-5  # it measures the exact pixel box
    assert found.classes.max() < 4


def test_shape_detector_scores_high(plain):
    detector = Detector(shape_detector(SIZE), plain.names, MAP_THRESH, MAP_NMS)
    score = evaluate_detector(detector, plain)
    assert score.images == 24 and score.result.mean_ap > 0.7
    assert sum(score.result.ground_truth) == 24
    report = score.to_dict()
    assert report["map50"] == score.result.mean_ap and set(report["per_class"]) == set(plain.names)


def test_max_images_limits_the_work(plain):
    detector = Detector(shape_detector(SIZE), plain.names, MAP_THRESH, MAP_NMS)
    calls = []
    score = evaluate_detector(detector, plain, max_images=5, progress=calls.append)
    assert score.images == 5 and len(calls) == 5 and sum(score.result.ground_truth) == 5


def test_class_count_mismatch_is_a_clear_error(plain, default_cfg):
    from qnnflow.frontend.darknet import import_darknet

    model = import_darknet(default_cfg, default_cfg.with_suffix(".weights"), input_size=(64, 64))
    detector = Detector(model, [], MAP_THRESH, MAP_NMS)
    score = evaluate_detector(detector, plain, max_images=2)  # the default model: 4 classes
    assert 0.0 <= score.result.mean_ap <= 1.0
    plain_names = plain.names
    try:
        plain.names = plain_names[:3]
        with pytest.raises(QnnflowError, match="predicts 4 classes but .* has 3"):
            evaluate_detector(detector, plain)
    finally:
        plain.names = plain_names
    with pytest.raises(QnnflowError, match="at least 1"):
        evaluate_detector(detector, plain, max_images=0)


def test_scoring_together_equals_scoring_alone(plain, default_cfg):
    """Images read once for several detectors (one batched, one not): the same scores."""
    from qnnflow.frontend.darknet import import_darknet

    darknet = import_darknet(default_cfg, default_cfg.with_suffix(".weights"), (SIZE, SIZE))
    detectors = [
        Detector(shape_detector(SIZE), plain.names, MAP_THRESH, MAP_NMS),
        Detector(darknet, plain.names, MAP_THRESH, MAP_NMS),
    ]
    calls = []
    together = evaluate_detectors(detectors, plain, 20, lambda i, n: calls.append((i, n)))
    alone = [evaluate_detector(d, plain, 20) for d in detectors]
    for joint, single in zip(together, alone, strict=True):
        assert {**joint.to_dict(), "seconds": 0} == {**single.to_dict(), "seconds": 0}
    assert together[0].result.mean_ap > 0.7  # the shape detector still finds its shapes
    assert sorted(calls) == [(0, 1)] * 20 + [(1, 1)] * 20
