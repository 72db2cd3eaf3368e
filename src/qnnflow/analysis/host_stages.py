"""Time the host's share of one frame here, on the build's own graph, with the driver's own
code: letterbox (a decoded camera-sized frame into the model input), the host nodes before
the accelerator, packing its input stream; then unpacking its output stream, the host nodes
after it, and region/yolo decode + NMS. Each part is the minimum of a few runs
(`cpu_reference.typical_ms`). When the host graph before the accelerator is just the input
quantizer and a Transpose, the driver's fused `InputPath` is timed, as the driver runs it:
the C++ letterbox shim when it builds here (then "letterbox" is letterbox and quantizer in
one pass and "host nodes before" only what follows it), else the numpy steps.

Which nodes run on the host is read from the graph (the export's `host_graphs`), never
assumed: when a later build moves the input quantizer or the last conv into hardware, its
time leaves the host stage. Reading the image file (or grabbing the camera frame) is not
timed; the frame starts as a decoded array.

Decode + NMS runs on the model's real head shapes with CANDIDATES boxes planted above the
threshold (the accelerator's output of a random input is no picture, so its detections
would say nothing about a real frame's NMS work).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.cpu_reference import best_ms, samples_ms, typical_ms
from qnnflow.backends.deploy.export import host_graphs, stream_formats
from qnnflow.driver.formats import StreamFormat, pack_frames, unpack_frames
from qnnflow.driver.input_path import InputPath
from qnnflow.driver.pipeline import DEFAULT_NMS, DEFAULT_THRESH, decode_and_nms, letterboxed
from qnnflow.frontend.darknet.to_onnx import HEADS_KEY
from qnnflow.verify.inputs import seeded_input

CAMERA_W, CAMERA_H = 640, 480  # a typical camera frame, decoded to uint8 RGB
CANDIDATES = 32  # boxes above the threshold per frame: a few objects, several boxes each
REPEATS = 5
SEED = 0
PRE_PARTS = ("letterbox", "host nodes before", "pack")
POST_PARTS = ("unpack", "host nodes after", "decode + NMS")


@dataclass(frozen=True)
class HostTimes:
    """ms here per part of each host stage, in frame order (absent parts are left out)."""

    pre: dict[str, float]
    post: dict[str, float]
    input: StreamFormat
    outputs: tuple[StreamFormat, ...]  # every output stream of the accelerator, in order

    @property
    def out_frame_bytes(self) -> int:
        """Bytes per frame over all output streams (what the S2MM channels write)."""
        return sum(fmt.frame_bytes for fmt in self.outputs)


def image_size(model: ModelWrapper) -> tuple[int, int] | None:
    """(net_w, net_h) of an NCHW RGB model input, None for other inputs (no letterbox)."""
    shape = model.get_tensor_shape(model.graph.input[0].name)
    if len(shape) == 4 and shape[1] == 3:
        return int(shape[3]), int(shape[2])
    return None


def camera_frame(seed: int = SEED) -> np.ndarray:
    """A seeded CAMERA_H x CAMERA_W uint8 RGB frame (letterbox time does not depend on it)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(CAMERA_H, CAMERA_W, 3), dtype=np.uint8)


def stream_values(fmt: StreamFormat, seed: int = SEED) -> np.ndarray:
    """A seeded frame [1, *shape[1:]] of integers in the stream's range."""
    rng = np.random.default_rng(seed)
    if fmt.bipolar:
        return rng.choice(np.array([-1, 1]), size=fmt.shape)
    low, high = fmt.value_range
    return rng.integers(low, high + 1, size=fmt.shape)


def planted_head(head: dict, shape: list[int], count: int, seed: int = SEED) -> np.ndarray:
    """A raw head [1, num*(coords+1+classes), H, W] with `count` boxes (distinct cells and
    anchors, one class each) far above any threshold and every other box far below."""
    num, classes, coords = int(head["num"]), int(head["classes"]), int(head.get("coords", 4))
    _, _, height, width = shape
    raw = np.zeros(shape, dtype=np.float32)
    view = raw.reshape(num, coords + 1 + classes, height, width)  # a view: writes go to raw
    view[:, coords] = -8.0  # objectness logistic(-8) = 0.0003
    view[:, coords + 1 :] = -8.0  # every class far below (a yolo head's logistic(0) is 0.5)
    rng = np.random.default_rng(seed)
    picks = rng.choice(num * height * width, size=min(count, num * height * width), replace=False)
    anchor, cell = np.divmod(picks, height * width)
    row, col = np.divmod(cell, width)
    view[anchor, 0:2, row, col] = rng.standard_normal((picks.size, 2))  # centre offsets
    view[anchor, 2:4, row, col] = 0.5 * rng.standard_normal((picks.size, 2))  # ~anchor size
    view[anchor, coords, row, col] = 4.0  # objectness 0.98
    view[anchor, coords + 1 + rng.integers(0, classes, picks.size), row, col] = 6.0
    return raw


def planted_heads(model: ModelWrapper, heads: list[dict]) -> dict[str, np.ndarray]:
    """Every head's planted output, CANDIDATES boxes shared out over the heads."""
    per_head = -(-CANDIDATES // len(heads))
    return {
        h["output"]: planted_head(h, model.get_tensor_shape(h["output"]), per_head, SEED + i)
        for i, h in enumerate(heads)
    }


def _fused_parts(path: InputPath, frame: np.ndarray, repeats: int) -> dict[str, float]:
    """The fused input path's letterbox and quantizer parts, each `typical_ms` of its runs."""
    runs: list[dict[str, float]] = []

    def once() -> None:
        runs.append({})
        path(frame, runs[-1])

    samples_ms(once, repeats)
    runs = runs[1:]  # the warm-up call
    return {
        "letterbox": typical_ms([1e3 * r["letterbox"] for r in runs]),
        "host nodes before": typical_ms([1e3 * r["host_prefix"] for r in runs]),
    }


def measure_host_stages(model: ModelWrapper, repeats: int = REPEATS) -> HostTimes:
    """ms here of each part of host pre and host post for one frame of `model` (a graph
    with one contiguous hardware region)."""
    fmt_in, fmt_outs = stream_formats(model)
    prefix, suffix = host_graphs(model, (fmt_in, fmt_outs))
    size = image_size(model)
    pre: dict[str, float] = {}
    fused = InputPath.from_prefix(prefix, *size) if size is not None else None
    if fused is not None:
        pre.update(_fused_parts(fused, camera_frame(), repeats))
    elif size is not None:
        frame = camera_frame()
        pre["letterbox"] = best_ms(lambda: letterboxed(frame, *size), repeats)
        graph_in = letterboxed(frame, *size)
    else:
        graph_in = seeded_input(model, SEED)
    if not prefix.empty and fused is None:
        feed = {prefix.inputs[0]: graph_in}
        pre["host nodes before"] = best_ms(lambda: prefix.run(feed), repeats)
    values_in = fused(camera_frame()) if fused is not None else stream_values(fmt_in)
    pre["pack"] = best_ms(lambda: pack_frames(fmt_in, values_in), repeats)

    raws = [pack_frames(f, stream_values(f, SEED + 1 + i)) for i, f in enumerate(fmt_outs)]
    pairs = list(zip(fmt_outs, raws, strict=True))
    post = {"unpack": best_ms(lambda: [unpack_frames(f, r, 1) for f, r in pairs], repeats)}
    if not suffix.empty:
        feed = {f.tensor: unpack_frames(f, r, 1).astype(np.float32) for f, r in pairs}
        post["host nodes after"] = best_ms(lambda: suffix.run(feed), repeats)
    heads = json.loads(model.get_metadata_prop(HEADS_KEY) or "[]")
    if heads:
        outputs = planted_heads(model, heads)
        net_w, net_h = size if size is not None else (CAMERA_W, CAMERA_H)
        box = (CAMERA_W, CAMERA_H, net_w, net_h)
        post["decode + NMS"] = best_ms(
            lambda: decode_and_nms(heads, outputs, DEFAULT_THRESH, DEFAULT_NMS, box), repeats
        )
    return HostTimes(pre, post, fmt_in, fmt_outs)
