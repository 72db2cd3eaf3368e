"""The quantization accuracy gate: a quantized detector may lose at most `max_drop` points of
mAP@0.5 against its float original on the same images, or the flow stops with advice.

"Points" are percentage points of mAP (0.652 -> 0.617 is a drop of 3.5 points), the unit
detection papers report; a model that gains accuracy passes. Both models are scored on the
same split and the same first `max_images` images, with Darknet's `valid` settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qnnflow.data.evaluate import (
    DetectorScore,
    evaluate_detector,
    evaluate_detectors,
    load_map_detector,
)
from qnnflow.data.reader import DetectionDataset
from qnnflow.errors import QnnflowError

DEFAULT_MAX_DROP = 5.0

SUGGESTIONS = (
    "calibrate on more images (quantize --max-samples, e.g. 200, from the training split)",
    "try another calibration method (quantize --calib-method percentile|mse|entropy|minmax)",
    "keep the first and last layers at 8 bits or float (quantize --first-last-bits 8|float)",
    "fine-tune with quantization-aware training (QAT) instead of post-training quantization",
)


@dataclass
class GateResult:
    """Both scores, the drop in mAP points and whether it is within `max_drop`."""

    float_score: DetectorScore
    quant_score: DetectorScore
    max_drop: float

    @property
    def drop(self) -> float:
        return 100.0 * (self.float_score.result.mean_ap - self.quant_score.result.mean_ap)

    @property
    def passed(self) -> bool:
        return self.drop <= self.max_drop

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "drop_points": round(self.drop, 4),
            "max_drop_points": self.max_drop,
            "float": self.float_score.to_dict(),
            "quant": self.quant_score.to_dict(),
        }

    def failure_message(self) -> str:
        advice = "; ".join(SUGGESTIONS)
        return (
            f"accuracy gate failed: mAP@0.5 dropped {self.drop:.2f} points "
            f"(float {100 * self.float_score.result.mean_ap:.2f} -> quantized "
            f"{100 * self.quant_score.result.mean_ap:.2f}) on {self.quant_score.images} images,"
            f" more than the allowed {self.max_drop:g}. Try: {advice}"
        )


def compare_models(
    float_model: str | Path,
    quant_model: str | Path,
    data_dir: str | Path,
    split: str = "test",
    max_drop: float = DEFAULT_MAX_DROP,
    max_images: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    decoder: str = "pillow",
) -> GateResult:
    """Score both models on the split; never raises for a large drop (see `enforce`).

    `progress(model_label, done, total)` is called after every image, for a progress bar."""
    if max_drop < 0:
        raise QnnflowError(f"--max-drop must be >= 0 points, got {max_drop}")
    dataset = DetectionDataset(data_dir, split, decoder)
    total = len(dataset) if max_images is None else min(max_images, len(dataset))
    labels = ("float", "quant")
    detectors = [load_map_detector(str(path), dataset.names) for path in (float_model, quant_model)]
    done = [0, 0]

    def step(index: int, n: int) -> None:
        done[index] += n
        if progress is not None:
            progress(labels[index], done[index], total)

    # one pass: each image is read and letterboxed once for both models
    float_score, quant_score = evaluate_detectors(detectors, dataset, max_images, step)
    return GateResult(float_score, quant_score, max_drop)


def score_model(
    model: str | Path,
    data_dir: str | Path,
    split: str = "test",
    max_images: int | None = None,
    decoder: str = "pillow",
) -> DetectorScore:
    """mAP@0.5 of one model alone (Darknet `valid` settings), when there is nothing to
    compare it with."""
    dataset = DetectionDataset(data_dir, split, decoder)
    return evaluate_detector(load_map_detector(str(model), dataset.names), dataset, max_images)


def enforce(result: GateResult) -> None:
    """Raise a QnnflowError (exit code 2 in the CLI) with suggestions when the gate fails."""
    if not result.passed:
        raise QnnflowError(result.failure_message())
