"""The whole detector on the board: letterbox -> host prefix (numpy) -> accelerator ->
host suffix (numpy) -> region/yolo decode -> NMS -> Darknet's `name: NN%` lines and pixel
boxes, with seconds per stage. Numpy only (plus pynq through the accelerator's backend).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qnnflow.driver.accelerator import Accelerator
from qnnflow.driver.input_path import InputPath
from qnnflow.errors import QnnflowError
from qnnflow.yolo.decode import Detection
from qnnflow.yolo.image import load_image, resolve_decoder
from qnnflow.yolo.letterbox import letterbox_hwc, letterbox_size, to_nchw
from qnnflow.yolo.nms import do_nms_sort, nms_sort_probs
from qnnflow.yolo.report import detections_to_json, format_detections
from qnnflow.yolo.scoring import ScoredBoxes, head_scoring

RESIZERS = ("darknet", "opencv")
DEFAULT_THRESH, DEFAULT_NMS = 0.3, 0.3  # class-probability and NMS IoU thresholds


@dataclass
class PipelineResult:
    lines: list[str]
    boxes: list[dict]
    detections: list[Detection]
    seconds: dict[str, float] = field(default_factory=dict)


def score_heads(
    heads: list[dict], outputs: dict[str, np.ndarray], thresh: float, size: tuple[int, ...]
) -> list[ScoredBoxes]:
    """Every head of one image decoded to its scoring boxes (`yolo.scoring`: only the
    cells whose objectness is above `thresh` are activated); `size` = (im_w, im_h, net_w,
    net_h)."""
    scored = []
    for head in heads:
        raw = outputs.get(head["output"])
        if raw is None:
            raise QnnflowError(f"head tensor '{head['output']}' is not a host graph output")
        scored.append(head_scoring(head, raw, thresh, size))
    return scored


def decode_heads(
    heads: list[dict], outputs: dict[str, np.ndarray], thresh: float, size: tuple[int, ...]
) -> list[Detection]:
    """Activate and decode every head of one image; `size` = (im_w, im_h, net_w, net_h).
    Only boxes with a non-zero class prob are kept (the rest never print or suppress)."""
    return [
        det for scored in score_heads(heads, outputs, thresh, size) for det in scored.detections()
    ]


def decode_and_nms(
    heads: list[dict], outputs: dict[str, np.ndarray], thresh: float, nms: float, size: tuple
) -> list[Detection]:
    """Every head decoded, then Darknet's per-class NMS over all of them (one image), on
    arrays (`nms_sort_probs`) when every head has the first head's classes."""
    scored = score_heads(heads, outputs, thresh, size)
    classes = heads[0]["classes"]
    if any(s.probs.shape[1] != classes for s in scored):
        dets = [det for s in scored for det in s.detections()]
        return do_nms_sort(dets, classes, nms)
    boxes = np.concatenate([s.boxes for s in scored])
    probs = nms_sort_probs(boxes, np.concatenate([s.probs for s in scored]), nms)
    objectness = np.concatenate([s.objectness for s in scored])
    return ScoredBoxes(boxes, objectness, probs).detections()


def letterboxed(image: np.ndarray, net_w: int, net_h: int, resize: str = "darknet") -> np.ndarray:
    """HWC RGB image (float in [0, 1] or uint8) -> letterboxed [1, 3, net_h, net_w]."""
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 3:
        raise QnnflowError(f"expected an HWC RGB image, got shape {list(array.shape)}")
    if resize == "opencv":
        if array.dtype == np.uint8:
            array = array.astype(np.float32) / np.float32(255.0)
        return _letterbox_opencv(array.astype(np.float32), net_w, net_h)
    # a uint8 frame goes in as it is: the resize reads each gathered pixel as k / 255, the
    # same float32 values as converting the whole frame first
    return to_nchw(letterbox_hwc(array, net_w, net_h))


def _letterbox_opencv(image: np.ndarray, net_w: int, net_h: int) -> np.ndarray:
    """Faster, not bit-exact: OpenCV's bilinear resize instead of Darknet's two passes."""
    try:
        import cv2
    except ImportError:
        raise QnnflowError("resize='opencv' needs OpenCV (cv2); use resize='darknet'") from None
    im_h, im_w = image.shape[:2]
    new_w, new_h = letterbox_size(im_w, im_h, net_w, net_h)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    boxed = np.full((net_h, net_w, image.shape[2]), 0.5, dtype=np.float32)
    top, left = (net_h - new_h) // 2, (net_w - new_w) // 2
    boxed[top : top + new_h, left : left + new_w] = resized
    return to_nchw(boxed)


class HostStages:
    """The host's half of a detector (no accelerator, so it pickles into worker processes):
    `pre` turns an image into the accelerator's input, `post` its outputs into detections."""

    def __init__(self, package, thresh: float, nms: float, names, resize: str, decoder):
        if resize not in RESIZERS:
            raise QnnflowError(f"resize must be one of {RESIZERS}, got '{resize}'")
        self.thresh, self.nms, self.resize = thresh, nms, resize
        if not package.heads:
            raise QnnflowError("the package has no region/yolo heads: it is not a detector")
        self.heads = package.heads
        classes = self.heads[0]["classes"]
        self.names = list(names or package.names) or [f"class{j}" for j in range(classes)]
        self.prefix, self.suffix = package.host["prefix"], package.host["suffix"]
        if package.net_input.get("width") is None:
            raise QnnflowError(f"the model input {package.net_input['shape']} is not an NCHW image")
        self.net_w, self.net_h = int(package.net_input["width"]), int(package.net_input["height"])
        self.output_tensors = [fmt.tensor for fmt in package.outputs]
        # letterbox + input quantizer fused when the prefix is just that (bit-identical)
        fused = resize == "darknet"
        self.input_path = (
            InputPath.from_prefix(self.prefix, self.net_w, self.net_h) if fused else None
        )
        # asked for: strict; else the package's, Pillow with a warning where stb_image is missing
        self.decoder = resolve_decoder(decoder, package.decoder)

    def network_input(self, image: np.ndarray) -> np.ndarray:
        """HWC RGB image (float in [0, 1] or uint8) -> letterboxed [1, 3, net_h, net_w]."""
        return letterboxed(image, self.net_w, self.net_h, self.resize)

    def pre(self, image: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        """An image -> the accelerator input and seconds per stage (the fused `InputPath`
        when the prefix is just the input quantizer, the host graph otherwise)."""
        times: dict[str, float] = {}
        if self.input_path is not None:
            _check_rgb(image)
            return self.input_path(np.asarray(image), times), times
        began = time.perf_counter()
        x = self.network_input(image)
        times["letterbox"] = time.perf_counter() - began
        began = time.perf_counter()
        region_in = self.prefix.run({self.prefix.inputs[0]: x})[self.prefix.outputs[0]]
        times["host_prefix"] = time.perf_counter() - began
        return region_in, times

    def post(self, region_outs: list[np.ndarray], image_shape: tuple[int, ...]) -> PipelineResult:
        """The accelerator's outputs of one image -> its detections, lines and boxes."""
        times: dict[str, float] = {}
        began = time.perf_counter()
        feeds = {
            t: out.astype(np.float32)
            for t, out in zip(self.output_tensors, region_outs, strict=True)
        }
        heads = self.suffix.run(feeds)
        times["host_suffix"] = time.perf_counter() - began
        began = time.perf_counter()
        im_h, im_w = image_shape[:2]
        size = (im_w, im_h, self.net_w, self.net_h)
        dets = decode_and_nms(self.heads, heads, self.thresh, self.nms, size)
        lines = format_detections(dets, self.names, self.thresh)
        boxes = detections_to_json(dets, self.names, self.thresh, im_w, im_h)
        times["decode_nms"] = time.perf_counter() - began
        return PipelineResult(lines, boxes, dets, times)

    def pre_file(self, path: str | Path) -> tuple[np.ndarray, tuple[int, ...], dict[str, float]]:
        """Load (the stages' decoder) and `pre` one image file; its shape for `post`."""
        began = time.perf_counter()
        image = load_image(path, self.decoder)
        loaded = time.perf_counter() - began
        region_in, times = self.pre(image)
        return region_in, np.shape(image), {"load": loaded, **times}


def _check_rgb(image: np.ndarray) -> None:
    shape = np.shape(image)
    if len(shape) != 3 or shape[2] != 3:
        raise QnnflowError(f"expected an HWC RGB image, got shape {list(shape)}")


class DetectionPipeline(HostStages):
    """An `Accelerator` plus its package's host stages, heads and class names."""

    def __init__(
        self,
        accelerator: Accelerator,
        thresh: float = DEFAULT_THRESH,
        nms: float = DEFAULT_NMS,
        names: list[str] | None = None,
        resize: str = "darknet",
        decoder: str | None = None,
    ):
        super().__init__(accelerator.package, thresh, nms, names, resize, decoder)
        self.accelerator = accelerator

    def host_stages(self) -> HostStages:
        """The host half alone (what worker processes get)."""
        host = HostStages.__new__(HostStages)
        host.__dict__.update({k: v for k, v in self.__dict__.items() if k != "accelerator"})
        return host

    def accelerate(self, region_in: np.ndarray) -> tuple[list[np.ndarray], dict[str, float]]:
        """The accelerator input of one frame -> its outputs and seconds per accel stage."""
        region_outs = self.accelerator.execute_all(region_in)
        return region_outs, {f"accel_{k}": v for k, v in self.accelerator.last.seconds.items()}

    def run(self, image: np.ndarray) -> PipelineResult:
        """One image through every stage; seconds per stage in the result."""
        region_in, pre_times = self.pre(image)
        region_outs, accel_times = self.accelerate(region_in)
        result = self.post(region_outs, np.shape(image))
        result.seconds = {**pre_times, **accel_times, **result.seconds}
        return result

    def run_file(self, path: str | Path) -> PipelineResult:
        """Load an image file with the pipeline's decoder (the package's: stb_image for a
        Darknet model, as the board's Darknet decodes) and run it."""
        region_in, shape, pre_times = self.pre_file(path)
        region_outs, accel_times = self.accelerate(region_in)
        result = self.post(region_outs, shape)
        result.seconds = {**pre_times, **accel_times, **result.seconds}
        return result

    def run_files(self, paths: list, workers: int = 1) -> Iterator[PipelineResult]:
        """Every image file, results in order. workers = 1: one after the other in this
        process. workers = N > 1: N worker processes load, letterbox, quantize (pre) and
        decode (post) different frames at once while this process drives the accelerator
        (`host_workers`); the results are identical to the sequential run."""
        if workers < 1:
            raise QnnflowError(f"workers must be at least 1, got {workers}")
        if workers == 1:
            for path in paths:
                yield self.run_file(path)
            return
        yield from run_with_workers(self, paths, workers)


def run_with_workers(pipeline: DetectionPipeline, paths: list, workers: int):
    """`DetectionPipeline.run_files` with worker processes (imported late: a sequential run
    never starts multiprocessing)."""
    from qnnflow.driver.host_workers import run_with_workers as run

    return run(pipeline, paths, workers)
