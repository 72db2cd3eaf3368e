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
from qnnflow.util.progress import task

log = logging.getLogger(__name__)

MAP_THRESH = 0.005
MAP_NMS = 0.45
GROUP = 32  # images decoded and run through the network together (memory: a few 10 MB)


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
    return scored_boxes(detector, detector.detections(image))


def scored_boxes(detector: Detector, dets: list) -> ImageBoxes:
    """The (box, class) pairs of one image's detections whose probability exceeds
    `detector.thresh`, with that probability as the score."""
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
    step = None if progress is None else (lambda _index, n: progress(n))
    return evaluate_detectors([detector], dataset, max_images, step)[0]


def evaluate_detectors(
    detectors: list[Detector],
    dataset: DetectionDataset,
    max_images: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[DetectorScore]:
    """`evaluate_detector` of each detector on the same images, read (and letterboxed, for
    detectors of one input size) once; `progress(detector index, 1)` per image scored.

    A score's seconds are the shared image reading plus that detector's own work."""
    for detector in detectors:
        classes = detector.heads[0]["classes"]
        if classes != len(dataset.names):
            raise QnnflowError(
                f"the model predicts {classes} classes but {dataset.root} has "
                f"{len(dataset.names)} ({', '.join(dataset.names)})"
            )
    if max_images is not None and max_images < 1:
        raise QnnflowError(f"max_images must be at least 1, got {max_images}")
    count = len(dataset) if max_images is None else min(max_images, len(dataset))
    if count == 0:
        raise QnnflowError(f"{dataset.root}: split '{dataset.split}' has no images")
    truths: list[ImageBoxes] = []
    found: list[list[ImageBoxes]] = [[] for _ in detectors]
    seconds = [0.0] * len(detectors)
    with task("mAP, images", count * len(detectors)) as bar:
        for start in range(0, count, GROUP):  # the network runs on a group of images at once
            began = time.perf_counter()
            items = [dataset[index] for index in range(start, min(start + GROUP, count))]
            images = [item.image for item in items]
            truths += [ImageBoxes(item.boxes, item.classes) for item in items]
            inputs: dict[tuple[int, int], np.ndarray] = {}  # by network input size
            shared = time.perf_counter() - began
            for index, detector in enumerate(detectors):
                began = time.perf_counter()
                size = detector.net_size()
                if size not in inputs:
                    inputs[size] = detector.network_inputs(images)
                dets = detector.detections_of_inputs(inputs[size], images)
                found[index] += [scored_boxes(detector, d) for d in dets]
                seconds[index] += shared + time.perf_counter() - began
                bar.advance(len(items))
                if progress is not None:
                    for _ in items:  # one call per image, as a progress bar counts them
                        progress(index, 1)
    scores = []
    for index, detector in enumerate(detectors):
        began = time.perf_counter()
        result = mean_average_precision(truths, found[index], detector.heads[0]["classes"])
        seconds[index] += time.perf_counter() - began
        log.info("mAP@0.5 %.4f on %d images in %.1f s", result.mean_ap, count, seconds[index])
        scores.append(DetectorScore(result, list(dataset.names), count, seconds[index]))
    return scores


def load_map_detector(path: str, names: list[str] | None = None) -> Detector:
    """A detector set up for mAP: threshold 0.005 and NMS 0.45, as Darknet's `valid`."""
    from qnnflow.detector import load_detector

    detector = load_detector(path, thresh=MAP_THRESH, nms=MAP_NMS)
    if names:
        detector.names = list(names)
    return detector
