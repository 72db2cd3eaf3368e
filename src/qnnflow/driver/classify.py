"""A classifier on the board: image (plain resize to the model's H x W, grayscale for a
one-channel model, [0, 1] float NCHW) or a `.npy` input -> host prefix (numpy) ->
accelerator -> host suffix (numpy) -> the top-k classes by raw score.

The scores are the model's outputs as they are: FINN's nets end in logits (or a TensorNorm),
with no softmax in the graph, so the ranking is the model's and the numbers are not
probabilities. Numpy only (plus pynq through the accelerator's backend).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qnnflow.driver.accelerator import Accelerator
from qnnflow.errors import QnnflowError
from qnnflow.yolo.image import load_image, resolve_decoder
from qnnflow.yolo.resize import resize_image

TOP_K = 5
SCORE_KIND = "raw scores (the model has no softmax: not probabilities)"
# ITU-R BT.601 luma, the weights Pillow's convert("L") uses
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)


@dataclass
class ClassifyResult:
    scores: np.ndarray  # every class's raw score, flat
    top: list[dict]  # [{"class_id", "class", "score"}], best first
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        return [f"{t['class']}: {t['score']:.6f}" for t in self.top]


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """HWC RGB float32 -> HW1 luma float32 (computed in float64, so a gray pixel stays exact)."""
    luma = np.asarray(image, dtype=np.float64) @ _LUMA
    return luma.astype(np.float32)[:, :, None]


def top_classes(scores: np.ndarray, names: list[str], k: int = TOP_K) -> list[dict]:
    """The `k` best classes by score (ties: lower index first)."""
    flat = np.asarray(scores).reshape(-1)
    order = np.argsort(-flat, kind="stable")[: min(k, flat.size)]
    return [{"class_id": int(j), "class": names[j], "score": float(flat[j])} for j in order]


class ClassifierPipeline:
    """An `Accelerator` plus its package's host graphs and class names, for a model without
    detector heads whose graph output is one score per class."""

    def __init__(
        self,
        accelerator: Accelerator,
        names: list[str] | None = None,
        decoder: str | None = None,
        top_k: int = TOP_K,
    ):
        package = accelerator.package
        if package.heads:
            raise QnnflowError("the package has detector heads: use DetectionPipeline")
        if top_k < 1:
            raise QnnflowError(f"top_k must be at least 1, got {top_k}")
        self.accelerator, self.top_k = accelerator, top_k
        self.prefix, self.suffix = package.host["prefix"], package.host["suffix"]
        self.shape = tuple(int(v) for v in package.net_input["shape"])
        self.is_image = len(self.shape) == 4 and self.shape[1] in (1, 3)
        self.names = list(names or package.names)
        self.decoder = resolve_decoder(decoder, package.decoder)

    def _names_for(self, classes: int) -> list[str]:
        if not self.names:
            return [f"class{j}" for j in range(classes)]
        if len(self.names) != classes:
            raise QnnflowError(
                f"the package names {len(self.names)} classes, the model outputs {classes} scores"
            )
        return self.names

    def network_input(self, image: np.ndarray) -> np.ndarray:
        """HWC RGB image (float in [0, 1] or uint8) -> [1, C, H, W] float32, plainly resized."""
        if not self.is_image:
            raise QnnflowError(
                f"the model input {list(self.shape)} is not a 1- or 3-channel NCHW image: "
                "give a .npy array of that shape"
            )
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[2] != 3:
            raise QnnflowError(f"expected an HWC RGB image, got shape {list(array.shape)}")
        if array.dtype == np.uint8:
            array = array.astype(np.float32) / np.float32(255.0)
        _, channels, height, width = self.shape
        if array.shape[:2] != (height, width):
            array = resize_image(array.astype(np.float32), width, height)
        if channels == 1:
            array = to_grayscale(array)
        return np.ascontiguousarray(array.transpose(2, 0, 1)[None], dtype=np.float32)

    def check_array(self, array: np.ndarray, source: str = "input") -> np.ndarray:
        """An array of the model's input shape (batch axis optional) as float32 [1, ...]."""
        x = np.asarray(array)
        if tuple(x.shape) == self.shape[1:]:
            x = x[None]
        if tuple(x.shape) != self.shape:
            raise QnnflowError(
                f"{source}: shape {list(x.shape)}, the model takes {list(self.shape)}"
            )
        if x.dtype.kind not in "fiub" or not np.all(np.isfinite(x)):
            raise QnnflowError(f"{source}: needs finite numbers, got dtype {x.dtype}")
        return x.astype(np.float32)

    def run(self, x: np.ndarray) -> ClassifyResult:
        """One network input [1, C, H, W] float32 through host prefix, accelerator, suffix."""
        times: dict[str, float] = {}
        began = time.perf_counter()
        accel_in = self.prefix.run({self.prefix.inputs[0]: x})[self.prefix.outputs[0]]
        times["host_prefix"] = time.perf_counter() - began
        accel_out = self.accelerator.execute(accel_in)
        times.update({f"accel_{k}": v for k, v in self.accelerator.last.seconds.items()})
        began = time.perf_counter()
        outputs = self.suffix.run({self.suffix.inputs[0]: accel_out.astype(np.float32)})
        scores = np.asarray(outputs[self.suffix.outputs[0]]).reshape(-1)
        times["host_suffix"] = time.perf_counter() - began
        top = top_classes(scores, self._names_for(scores.size), self.top_k)
        return ClassifyResult(scores, top, times)

    def run_file(self, path: str | Path) -> ClassifyResult:
        """A `.npy` array of the model's input shape, or an image file decoded with the
        pipeline's decoder and resized; seconds for loading and preparing in the result."""
        file = Path(path)
        began = time.perf_counter()
        if file.suffix.lower() == ".npy":
            if not file.is_file():
                raise QnnflowError(f"input not found: {file}")
            try:
                x = self.check_array(np.load(file, allow_pickle=False), str(file))
            except ValueError as exc:
                raise QnnflowError(f"cannot read {file}: {exc}") from None
        else:
            x = self.network_input(load_image(file, self.decoder))
        prepared = time.perf_counter() - began
        result = self.run(x)
        result.seconds = {"load": prepared, **result.seconds}
        return result
