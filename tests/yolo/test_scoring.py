"""The scoring-cells-only decode and the array NMS against the whole-tensor decode and
Darknet's per-pair NMS loop: random heads, planted boxes, objectness and class probs exactly
at the threshold, ties, and the trained Tinier-YOLO's output on dog.jpg."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.analysis.host_stages import planted_head
from qnnflow.driver.pipeline import decode_and_nms, decode_heads, score_heads
from qnnflow.errors import QnnflowError
from qnnflow.yolo.activations import logistic
from qnnflow.yolo.decode import Detection
from qnnflow.yolo.nms import _nms_general, nms_sort_probs
from qnnflow.yolo.scoring import yolo_scoring
from tests.yolo.references import assert_same_detections, per_pair_nms, whole_tensor_decode

F = np.float32
REGION = {"type": "region", "output": "r", "num": 5, "classes": 20, "coords": 4, "softmax": True}
REGION["anchors"] = [1.08, 1.19, 3.42, 4.41, 6.63, 11.38, 9.42, 5.11, 16.62, 10.52]
YOLO_BIG = {"type": "yolo", "output": "y1", "num": 3, "classes": 80}
YOLO_BIG["anchors"] = [81, 82, 135, 169, 344, 319]
YOLO_SMALL = {**YOLO_BIG, "output": "y2", "anchors": [10, 14, 23, 27, 37, 58]}
SIZE = (640, 480, 416, 416)


def random_head(head: dict, h: int, w: int, seed: int, spread: float = 3.0) -> np.ndarray:
    entries = head.get("coords", 4) + 1 + head["classes"]
    rng = np.random.default_rng(seed)
    return (spread * rng.standard_normal((1, head["num"] * entries, h, w))).astype(F)


def old_decode_and_nms(heads, outputs, thresh, nms, size) -> list[Detection]:
    """The whole-tensor decode, then Darknet's per-pair NMS loop."""
    dets = whole_tensor_decode(heads, outputs, thresh, size)
    probs = per_pair_nms(dets, heads[0]["classes"], nms)
    return [
        Detection(d.x, d.y, d.w, d.h, d.objectness, p) for d, p in zip(dets, probs, strict=True)
    ]


@pytest.mark.parametrize("thresh", [0.3, 0.05, 0.0, -0.5, 0.99])
@pytest.mark.parametrize("softmax", [True, False])
def test_region_scoring_equals_the_whole_tensor_decode(thresh, softmax):
    head = {**REGION, "softmax": softmax}
    raw = random_head(head, 13, 11, seed=int(thresh * 100) + 100 + softmax)
    raw[0, 4, 0, :3] = -200.0  # objectness 0 in float32: scores nothing, whatever thresh
    got = decode_heads([head], {"r": raw}, thresh, SIZE)
    assert_same_detections(got, whole_tensor_decode([head], {"r": raw}, thresh, SIZE))
    assert (thresh > 0.9) or got  # the comparison is not vacuous


@pytest.mark.parametrize("scale_x_y", [1.0, 1.05])
def test_yolo_scoring_equals_the_whole_tensor_decode(scale_x_y):
    heads = [{**YOLO_BIG, "scale_x_y": scale_x_y}, {**YOLO_SMALL, "scale_x_y": scale_x_y}]
    outputs = {"y1": random_head(YOLO_BIG, 7, 7, 1), "y2": random_head(YOLO_SMALL, 14, 14, 2)}
    for thresh in (0.3, 0.6):
        got = decode_heads(heads, outputs, thresh, SIZE)
        assert_same_detections(got, whole_tensor_decode(heads, outputs, thresh, SIZE))
        assert got


def test_objectness_exactly_at_the_threshold_is_dropped_by_both_paths():
    raw = random_head(REGION, 4, 4, 5)
    raw[0, 5:25, 1, 2] = 0.0
    raw[0, 5, 1, 2] = 30.0  # anchor 0, cell (1, 2): class 0 takes all of its objectness
    thresh = float(logistic(raw[0, 4, 1, 2]))  # ... which is exactly the threshold
    got = decode_heads([REGION], {"r": raw}, thresh, SIZE)
    assert_same_detections(got, whole_tensor_decode([REGION], {"r": raw}, thresh, SIZE))
    below = float(np.nextafter(F(thresh), F(-1)))
    more = decode_heads([REGION], {"r": raw}, below, SIZE)
    assert_same_detections(more, whole_tensor_decode([REGION], {"r": raw}, below, SIZE))
    assert len(more) == len(got) + 1  # just below the threshold that cell scores


def test_class_prob_exactly_at_the_threshold_is_dropped_by_both_paths():
    raw = random_head(REGION, 5, 5, 9)
    everything = decode_heads([REGION], {"r": raw}, -1.0, SIZE)
    product = next(p for d in everything for p in d.prob if F(0.2) < p < F(0.6))
    thresh = float(product)  # one class prob lands exactly on it
    got = decode_heads([REGION], {"r": raw}, thresh, SIZE)
    assert_same_detections(got, whole_tensor_decode([REGION], {"r": raw}, thresh, SIZE))
    assert all(p != product for d in got for p in d.prob)


def test_yolo_threshold_cells_and_probs_at_the_threshold():
    raw = random_head(YOLO_SMALL, 6, 6, 4)
    objectness = logistic(raw[0, 4])  # anchor 0
    thresh = float(objectness[2, 3])
    got = decode_heads([YOLO_SMALL], {"y2": raw}, thresh, SIZE)
    assert_same_detections(got, whole_tensor_decode([YOLO_SMALL], {"y2": raw}, thresh, SIZE))
    assert got and all(d.objectness > F(thresh) for d in got)


def test_decode_and_nms_equals_the_per_pair_loop_on_planted_heads():
    """The host-stage benchmark's heads (32 planted boxes with equal probs: ties everywhere)
    and YOLOv3-tiny's two heads."""
    outputs = {"r": planted_head(REGION, [1, 125, 13, 13], 32)}
    got = decode_and_nms([REGION], outputs, 0.3, 0.3, SIZE)
    assert_same_detections(got, old_decode_and_nms([REGION], outputs, 0.3, 0.3, SIZE))
    heads = [YOLO_BIG, YOLO_SMALL]
    outputs = {
        "y1": planted_head(YOLO_BIG, [1, 255, 7, 7], 16, 0),
        "y2": planted_head(YOLO_SMALL, [1, 255, 14, 14], 16, 1),
    }
    got = decode_and_nms(heads, outputs, 0.3, 0.3, SIZE)
    assert_same_detections(got, old_decode_and_nms(heads, outputs, 0.3, 0.3, SIZE))
    assert len(got) == 32


def test_decode_and_nms_equals_the_per_pair_loop_on_a_crowded_head():
    """A low threshold: a hundred overlapping boxes, several classes each."""
    outputs = {"r": random_head(REGION, 5, 5, 20, spread=2.0)}
    got = decode_and_nms([REGION], outputs, 0.05, 0.45, SIZE)
    assert_same_detections(got, old_decode_and_nms([REGION], outputs, 0.05, 0.45, SIZE))
    before = sum(np.count_nonzero(d.prob) for d in decode_heads([REGION], outputs, 0.05, SIZE))
    assert 0 < sum(np.count_nonzero(d.prob) for d in got) < before  # NMS did suppress


@pytest.mark.parametrize("seed", range(3))
def test_array_nms_equals_the_general_loop_on_crowded_heads(seed):
    """Hundreds of boxes at a low threshold: the per-class pass over the scoring boxes
    against the old whole-order loop (`_nms_general`, itself checked against per-pair)."""
    outputs = {"r": random_head(REGION, 13, 13, 20 + seed, spread=2.0)}
    scored = score_heads([REGION], outputs, 0.05, SIZE)[0]
    got = nms_sort_probs(scored.boxes, scored.probs, 0.45)
    expected = _nms_general(scored.boxes, scored.probs.copy(), 0.45)
    np.testing.assert_array_equal(got, expected)
    assert len(scored.probs) > 300 and 0 < np.count_nonzero(got) < np.count_nonzero(scored.probs)


def test_no_scoring_box_gives_no_detection():
    raw = np.full((1, 125, 13, 13), -30.0, F)
    assert decode_and_nms([REGION], {"r": raw}, 0.3, 0.3, SIZE) == []
    scored = yolo_scoring(np.zeros((1, 255, 2, 2), F), YOLO_BIG["anchors"], 80, 0.5, SIZE)
    assert scored.boxes.shape == (0, 4) and scored.probs.shape == (0, 80)


def test_heads_with_different_classes_take_the_list_nms():
    """As do_nms_sort: the first head's classes take part, a head with fewer is an error."""
    small = {**REGION, "output": "s", "classes": 3}
    outputs = {"r": random_head(REGION, 4, 4, 3), "s": random_head(small, 4, 4, 4)}
    got = decode_and_nms([small, REGION], outputs, 0.1, 0.3, SIZE)
    dets = decode_heads([small, REGION], outputs, 0.1, SIZE)
    probs = per_pair_nms(dets, 3, 0.3)
    assert len(got) == len(dets)
    for det, row in zip(got, probs, strict=True):
        np.testing.assert_array_equal(det.prob[:3], row)
    with pytest.raises(QnnflowError, match="class probs"):
        decode_and_nms([REGION, small], outputs, 0.1, 0.3, SIZE)


@pytest.fixture(scope="module")
def dog_heads() -> tuple[list[dict], dict[str, np.ndarray], tuple]:
    """The trained Tinier-YOLO's raw head on dog.jpg (board-faithful graph, Pillow decode)."""
    from qnnflow.detector import Detector
    from qnnflow.frontend.binparams import detector_model, load_binparams
    from qnnflow.yolo import load_image, network_input
    from tests.conftest import TINIER_YOLO_DIR

    if not TINIER_YOLO_DIR.is_dir():
        pytest.skip(f"shared data not found at {TINIER_YOLO_DIR}")
    model = detector_model(load_binparams(TINIER_YOLO_DIR / "tinier_yolo_w1a3.npz"))
    detector = Detector(model, [])
    image = load_image(TINIER_YOLO_DIR / "images" / "dog.jpg", "pillow")
    outputs = detector._execute(network_input(image, 416, 416))
    im_h, im_w = image.shape[:2]
    return detector.heads, outputs, (im_w, im_h, 416, 416)


@pytest.mark.parametrize("thresh", [0.3, 0.1, 0.001])
def test_trained_model_on_dog_jpg_gives_the_same_detections(dog_heads, thresh):
    """Down to 0.001: 93 scoring boxes, 131 class probs, 55 left after NMS."""
    heads, outputs, size = dog_heads
    got = decode_and_nms(heads, outputs, thresh, 0.45, size)
    assert_same_detections(got, old_decode_and_nms(heads, outputs, thresh, 0.45, size))
    assert len(got) >= 3
