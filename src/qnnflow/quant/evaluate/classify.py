"""`qnnflow evaluate --task classify`: top-1 / top-5 of a float and a quantized classifier on
the same labelled images, and the drop in percentage points; the gate is on top-1.

Each chunk of images is decoded and preprocessed once and fed to both models. Unless told
otherwise the preprocessing follows the float model's input: its H x W, gray for one
channel, RGB for three, a plain resize and no normalisation (the board's classifier input).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.quant.evaluate.folder_dataset import ClassifySet, load_classify_folder
from qnnflow.quant.evaluate.runner import ClassifierRunner
from qnnflow.quant.evaluate.topk import DEFAULT_BATCH, TopK, TopKCounter, drop_points
from qnnflow.quant.ptq.calib_data import load_image_batch
from qnnflow.quant.ptq.preprocess import Preprocess, resolve_preprocess

Progress = Callable[[int, int], None]

SUGGESTIONS = (
    "calibrate on more images (quantize --max-samples)",
    "quantize per channel (--weight-granularity channel) with a percentile or mse statistic",
    "add an accuracy-recovery method (--bias-correction, --equalize, --gptq, --learned-round)",
    "keep the most sensitive layers at 8 bits or float (--mixed CONFIG.yaml)",
)


@dataclass
class ModelScore:
    """One model's accuracy on the set, with how it ran."""

    path: Path
    topk: TopK
    executor: str
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "model": str(self.path),
            "executor": self.executor,
            "seconds": round(self.seconds, 3),
        } | self.topk.to_dict()


@dataclass
class ClassifyComparison:
    """Both scores, the drop in points and the verdict against `max_drop` (None: no gate)."""

    float_score: ModelScore
    quant_score: ModelScore
    classes: list[str]
    preprocess: Preprocess
    max_drop: float | None = None
    drops: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.drops = drop_points(self.float_score.topk, self.quant_score.topk)

    @property
    def drop(self) -> float:
        return self.drops["top1"]

    @property
    def passed(self) -> bool:
        return self.max_drop is None or self.drop <= self.max_drop

    def to_dict(self) -> dict:
        pre = self.preprocess
        return {
            "task": "classify",
            "passed": self.passed,
            "metric": "top1",
            "drop_points": {k: round(v, 4) for k, v in self.drops.items()},
            "max_drop_points": self.max_drop,
            "images": self.float_score.topk.images,
            "classes": self.classes,
            "preprocess": {
                "input_size": list(pre.input_size),
                "mean": list(pre.mean),
                "std": list(pre.std),
                "channels": pre.channels,
                "resize": pre.resize,
            },
            "float": self.float_score.to_dict(),
            "quant": self.quant_score.to_dict(),
        }

    def failure_message(self) -> str:
        return (
            f"accuracy gate failed: top-1 dropped {self.drop:.2f} points (float "
            f"{100 * self.float_score.topk.top1:.2f}% -> quantized "
            f"{100 * self.quant_score.topk.top1:.2f}%) on {self.quant_score.topk.images} images,"
            f" more than the allowed {self.max_drop:g}. Try: {'; '.join(SUGGESTIONS)}"
        )


def compare_classifiers(
    float_model: str | Path,
    quant_model: str | Path,
    data_dir: str | Path,
    *,
    split: str | None = None,
    max_drop: float | None = None,
    max_images: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    **preprocess_options,
) -> ClassifyComparison:
    """Score both models on the labelled folder; never raises for a large drop (`enforce`).

    `preprocess_options` are Preprocess fields (None: the float model's default);
    `progress(done, total)` is called after every chunk."""
    if max_drop is not None and not max_drop >= 0:
        raise QnnflowError(f"--max-drop must be >= 0 points, got {max_drop}")
    runners = [ClassifierRunner(p, batch_size) for p in (float_model, quant_model)]
    if runners[0].input_shape != runners[1].input_shape:
        raise QnnflowError(
            f"the models take different inputs: {list(runners[0].input_shape)} "
            f"({runners[0].path}) and {list(runners[1].input_shape)} ({runners[1].path})"
        )
    pre = resolve_preprocess(runners[0].input_shape, **preprocess_options)
    data = load_classify_folder(data_dir, split, max_images)
    topks, seconds = _score(runners, data, pre, batch_size, progress)
    scores = [
        ModelScore(r.path, t, r.executor_name, s)
        for r, t, s in zip(runners, topks, seconds, strict=True)
    ]
    return ClassifyComparison(scores[0], scores[1], data.classes, pre, max_drop)


def _check_classes(path: Path, scores: np.ndarray, data: ClassifySet) -> None:
    classes = int(np.prod(scores.shape[1:]))
    if classes != len(data.classes):
        raise QnnflowError(
            f"{path} scores {classes} classes but {data.root} has {len(data.classes)} "
            f"({', '.join(data.classes)}); name all the model's classes in classes.txt"
        )


def _score(
    runners: list[ClassifierRunner],
    data: ClassifySet,
    pre: Preprocess,
    batch_size: int,
    progress: Progress | None,
) -> tuple[list[TopK], list[float]]:
    counters = [TopKCounter() for _ in runners]
    seconds = [0.0 for _ in runners]
    for start in range(0, len(data), batch_size):
        images = load_image_batch(data.files[start : start + batch_size], pre)
        labels = data.labels[start : start + batch_size]
        for k, runner in enumerate(runners):
            began = time.perf_counter()
            scores = runner(images)
            seconds[k] += time.perf_counter() - began
            _check_classes(runner.path, scores, data)
            counters[k].update(scores, labels)
        if progress is not None:
            progress(min(start + batch_size, len(data)), len(data))
    return [c.result() for c in counters], seconds


def enforce(result: ClassifyComparison) -> None:
    """Raise a QnnflowError (exit code 2 in the CLI) with suggestions when the gate fails."""
    if not result.passed:
        raise QnnflowError(result.failure_message())
