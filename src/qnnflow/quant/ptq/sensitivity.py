"""Per-layer quantization sensitivity of a classifier: quantize ONE compute layer at a time
(its weights and output activation at the given bits, every other layer float), calibrate,
and score top-1 on labelled images with the torch forward. The drop against the float model
says which layers can take fewer bits; the automatic mixed-precision search reads it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.float_model import FloatModel
from qnnflow.quant.ptq.mixed import LayerRule
from qnnflow.quant.ptq.options import PTQOptions

FLOAT_REST = LayerRule("*", None, None, True)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class LabelledImages:
    """Preprocessed images (N, C, H, W) float32 with their class indices."""

    images: np.ndarray
    labels: np.ndarray
    classes: list[str]


def load_labelled(data_dir, input_shape, split=None, max_images=None, **preprocess):
    """The labelled folder preprocessed for a model taking `input_shape` (the evaluate rules)."""
    from qnnflow.quant.evaluate.folder_dataset import load_classify_folder
    from qnnflow.quant.ptq.calib_data import load_image_batch
    from qnnflow.quant.ptq.preprocess import resolve_preprocess

    pre = resolve_preprocess(tuple(input_shape), **preprocess)
    data = load_classify_folder(data_dir, split, max_images)
    return LabelledImages(load_image_batch(data.files, pre), data.labels, list(data.classes))


class AccuracyProbe:
    """Scores quantized variants of one float model: the same calibration batches and the
    same labelled images for every variant, so their top-1 values compare."""

    def __init__(
        self,
        float_model: FloatModel,
        calibration: np.ndarray,
        data: LabelledImages,
        options: PTQOptions,
        batch_size: int = 16,
    ):
        from qnnflow.quant.ptq.pipeline import to_batches

        self.float_model = float_model
        self.calibration = calibration
        self.batch_size = batch_size
        self.batches = to_batches(calibration, batch_size)
        self.data = data
        self.options = options
        self._float_top1: float | None = None

    def top1(self, module) -> float:
        """Top-1 (0..1) of a torch module on the labelled images (batched torch forward)."""
        import torch

        from qnnflow.quant.evaluate.topk import classify_accuracy

        def run(x: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                out = module(torch.from_numpy(np.ascontiguousarray(x)))
            out = out[0] if isinstance(out, (tuple, list)) else out
            scores = torch.as_tensor(out).float().reshape(len(x), -1).numpy()
            if scores.shape[1] != len(self.data.classes):
                raise QnnflowError(
                    f"{self.float_model.name} scores {scores.shape[1]} classes but the data has "
                    f"{len(self.data.classes)} ({', '.join(self.data.classes)})"
                )
            return scores

        return classify_accuracy(run, self.data.images, self.data.labels, 64).top1

    @property
    def float_top1(self) -> float:
        if self._float_top1 is None:
            self._float_top1 = self.top1(self.float_model.module.eval())
        return self._float_top1

    def quantized(self, rules: tuple[LayerRule, ...], batches: list | None = None):
        """The float model quantized and calibrated under `rules` (seeded: repeatable), on
        `batches` (default: all the calibration batches)."""
        import torch

        from qnnflow.quant.ptq.quantize import calibrate, quantize_float_model

        torch.manual_seed(0)
        options = dataclasses.replace(self.options, rules=rules)
        qmodule = quantize_float_model(self.float_model, options)
        calibrate(qmodule, self.batches if batches is None else batches)
        return qmodule.eval()

    def score(self, rules: tuple[LayerRule, ...]) -> float:
        return self.top1(self.quantized(rules))


@dataclass(frozen=True)
class LayerSensitivity:
    """One layer quantized alone at (weight_bits, act_bits): its top-1 and drop in points."""

    layer: str
    weight_bits: int
    act_bits: int | None  # None: its output meets another branch's in one shared quantizer
    top1: float
    drop: float

    def to_dict(self) -> dict:
        return {
            "layer": self.layer,
            "weight_bits": self.weight_bits,
            "act_bits": self.act_bits,
            "top1": round(100 * self.top1, 4),
            "drop_points": round(self.drop, 4),
        }


@dataclass
class SensitivityTable:
    """Every layer at every bit pair, sorted by drop (largest first)."""

    model: str
    float_top1: float
    images: int
    layers: list[str]
    rows: list[LayerSensitivity] = field(default_factory=list)

    def drop(self, layer: str, weight_bits: int, act_bits: int) -> float:
        for row in self.rows:
            if (row.layer, row.weight_bits) == (layer, weight_bits) and row.act_bits in (
                act_bits,
                None,
            ):
                return row.drop
        raise KeyError(f"no sensitivity for {layer} at w{weight_bits}a{act_bits}")

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "float_top1": round(100 * self.float_top1, 4),
            "images": self.images,
            "layers": self.layers,
            "rows": [r.to_dict() for r in self.rows],
        }


def _score_layer(probe, layer, weight_bits, act_bits) -> tuple[int | None, float]:
    """(act bits used, top-1): a layer whose output shares a requantizer with another branch
    (a residual add) keeps that quantizer's bits; only its weights take `weight_bits`."""
    try:
        return act_bits, probe.score((LayerRule(layer, weight_bits, act_bits, False), FLOAT_REST))
    except QnnflowError as exc:
        if "share one quantizer" not in str(exc):
            raise
    return None, probe.score((LayerRule(layer, weight_bits, None, False), FLOAT_REST))


def layer_sensitivity(
    probe: AccuracyProbe,
    bit_pairs: Sequence[tuple[int, int]],
    progress: Progress | None = None,
) -> SensitivityTable:
    """Top-1 with each compute layer alone at each (weight_bits, act_bits), the rest float."""
    from qnnflow.quant.ptq.quantize import layer_names

    layers = layer_names(probe.float_model)
    if not layers:
        raise QnnflowError(f"{probe.float_model.name}: no conv or linear layer to quantize")
    reference = probe.float_top1
    rows = []
    for layer in layers:
        for weight_bits, act_bits in bit_pairs:
            if progress is not None:
                progress(f"{layer} w{weight_bits}a{act_bits}")
            bits, top1 = _score_layer(probe, layer, weight_bits, act_bits)
            rows.append(LayerSensitivity(layer, weight_bits, bits, top1, 100 * (reference - top1)))
    rows.sort(key=lambda r: (-r.drop, r.layer, r.weight_bits))
    return SensitivityTable(probe.float_model.name, reference, len(probe.data.labels), layers, rows)


def make_probe(
    float_model: FloatModel,
    calib,
    data_dir,
    options: PTQOptions,
    split: str | None = None,
    max_images: int | None = None,
    **preprocess,
) -> AccuracyProbe:
    """A probe for a loaded model: calibration from `calib` (a pipeline.CalibSource; a folder
    is preprocessed like the labelled images) and the labelled folder `data_dir`."""
    from qnnflow.quant.ptq.pipeline import CalibSource, load_calibration
    from qnnflow.quant.ptq.preprocess import resolve_preprocess

    source: CalibSource = calib
    if source.images is not None:
        pre = resolve_preprocess(float_model.input_shape, **preprocess)
        source = dataclasses.replace(source, preprocess=pre)
    calibration = load_calibration(source, float_model.input_shape)
    data = load_labelled(data_dir, float_model.input_shape, split, max_images, **preprocess)
    return AccuracyProbe(float_model, calibration, data, options, source.batch_size)
