"""Run a detector over a dataset split and score it with mAP@0.5.

As Darknet's `detector valid` does, detections are kept down to a probability of 0.005 and
suppressed with NMS at IoU 0.45: mAP integrates over the whole precision/recall curve, so a
display threshold (0.3) would cut the curve short and understate AP. Each (box, class) pair
whose probability (objectness x class probability, after NMS) exceeds the threshold is one
scored detection, in the image's normalised (cx, cy, w, h) - the same frame as the labels.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qnnflow.data.map import ImageBoxes, MapResult, mean_average_precision
from qnnflow.data.reader import DetectionDataset
from qnnflow.detector import Detector
from qnnflow.errors import QnnflowError
from qnnflow.util.progress import track

log = logging.getLogger(__name__)

MAP_THRESH = 0.005
MAP_NMS = 0.45


@dataclass
class DetectorScore:
    """mAP of one model on one split, with per-class AP and the time spent."""

    result: MapResult
    names: list[str]
    images: int
    seconds: float

    def to_dict(self) -> dict:
        return {"images": self.images, "seconds": round(self.seconds, 3)} | self.result.to_dict(
            self.names
        )


def detect_boxes(detector: Detector, image: np.ndarray) -> ImageBoxes:
    """All detections above `detector.thresh` in one HWC float image, normalised boxes."""
    dets = detector.detections(image)
    classes = detector.heads[0]["classes"]
    boxes, labels, scores = [], [], []
    limit = np.float32(detector.thresh)
    for det in dets:
        prob = np.asarray(det.prob, dtype=np.float32)[:classes]
        for j in np.flatnonzero(prob > limit):
            boxes.append(det.box)
            labels.append(int(j))
            scores.append(float(prob[j]))
    return ImageBoxes(np.array(boxes).reshape(-1, 4), np.array(labels), np.array(scores))


def evaluate_detector(
    detector: Detector,
    dataset: DetectionDataset,
    max_images: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> DetectorScore:
    """mAP@0.5 of `detector` on the first `max_images` images of `dataset` (all when None).

    The detector's `thresh` and `nms` are used as they are; build it with `MAP_THRESH` and
    `MAP_NMS` (as `load_map_detector` does) for Darknet-comparable numbers.
    """
    classes = detector.heads[0]["classes"]
    if classes != len(dataset.names):
        raise QnnflowError(
            f"the model predicts {classes} classes but {dataset.root} has {len(dataset.names)}"
            f" ({', '.join(dataset.names)})"
        )
    if max_images is not None and max_images < 1:
        raise QnnflowError(f"max_images must be at least 1, got {max_images}")
    count = len(dataset) if max_images is None else min(max_images, len(dataset))
    if count == 0:
        raise QnnflowError(f"{dataset.root}: split '{dataset.split}' has no images")
    began = time.perf_counter()
    truths, found = [], []
    for index in track(range(count), "mAP, images"):
        item = dataset[index]
        truths.append(ImageBoxes(item.boxes, item.classes))
        found.append(detect_boxes(detector, item.image))
        if progress is not None:
            progress(1)
    result = mean_average_precision(truths, found, classes)
    seconds = time.perf_counter() - began
    log.info("mAP@0.5 %.4f on %d images in %.1f s", result.mean_ap, count, seconds)
    return DetectorScore(result, list(dataset.names), count, seconds)


def load_map_detector(path: str, names: list[str] | None = None) -> Detector:
    """A detector set up for mAP: threshold 0.005 and NMS 0.45, as Darknet's `valid`."""
    from qnnflow.detector import load_detector

    detector = load_detector(path, thresh=MAP_THRESH, nms=MAP_NMS)
    if names:
        detector.names = list(names)
    return detector
