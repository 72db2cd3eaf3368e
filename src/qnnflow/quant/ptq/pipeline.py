"""One post-training quantization run, in the order Brevitas' own PTQ examples use:
equalize the float model, quantize, calibrate, round (GPTQ/GPFQ/learned round), finetune,
correct biases; then export. Everything is validated before the first slow step and
written only at the end, so a failed run leaves nothing behind."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.calib_data import Preprocess

Equalize = Literal["graph", "activation"]


@dataclass(frozen=True)
class Recovery:
    """The accuracy-recovery methods a run applies (each off by default)."""

    equalize: Equalize | None = None
    bias_correction: bool = False
    gptq: bool = False
    gpfq: bool = False
    learned_round: bool = False
    fast_finetune: bool = False
    iterations: int = 200

    def names(self) -> list[str]:
        """The methods in the order they run, for reports."""
        chosen = [f"equalize-{self.equalize}"] if self.equalize else []
        for name in ("gptq", "gpfq", "learned_round", "fast_finetune", "bias_correction"):
            if getattr(self, name):
                chosen.append(name.replace("_", "-"))
        return chosen


@dataclass(frozen=True)
class CalibSource:
    """Calibration images (a folder + preprocessing) or an already preprocessed .npy."""

    images: Path | None = None
    preprocess: Preprocess | None = None
    npy: Path | None = None
    max_samples: int = 50
    batch_size: int = 16


@dataclass
class PTQResult:
    """What a run produced (before it is written)."""

    qmodule: object
    float_module: object
    input_shape: tuple[int, ...]
    report: dict = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)  # the float model's, for the export


def check_one_source(images: Path | None, npy: Path | None) -> None:
    """Calibration comes from images or from an array, never both or neither."""
    if (images is None) == (npy is None):
        raise QnnflowError("pass exactly one of --calib-dir DIR or --calib-data X.npy")


def load_calibration(source: CalibSource, input_shape: tuple[int, ...]) -> np.ndarray:
    """The calibration set as one (N, C, H, W) float32 array, checked against the model."""
    from qnnflow.quant.ptq.calib_data import load_calib_dir, load_calib_npy

    check_one_source(source.images, source.npy)
    if source.npy is not None:
        return load_calib_npy(source.npy, input_shape, source.max_samples)
    assert source.preprocess is not None
    data = load_calib_dir(source.images, source.preprocess, source.max_samples)
    if tuple(data.shape[1:]) != tuple(input_shape[1:]):
        raise QnnflowError(
            f"{source.images}: preprocessed images are {tuple(data.shape[1:])} (C, H, W) but "
            f"the model takes {tuple(input_shape[1:])}: check --input-size and --channels"
        )
    return data


def to_batches(data: np.ndarray, batch_size: int) -> list:
    """Split the calibration array into torch batches."""
    import torch

    if batch_size <= 0:
        raise QnnflowError(f"--batch-size must be positive, got {batch_size}")
    data = np.ascontiguousarray(data, dtype=np.float32)  # writable, owned by torch
    return [
        torch.from_numpy(data[i : i + batch_size].copy()) for i in range(0, len(data), batch_size)
    ]


def _equalized(float_module, recovery: Recovery, batches: list):
    """The float model after graph or activation equalization (a copy; the original stays
    the accuracy reference)."""
    from qnnflow.quant.ptq.recover.equalize import equalize_activations, equalize_graph

    module = copy.deepcopy(float_module)
    if recovery.equalize == "graph":
        return equalize_graph(module)
    if recovery.equalize == "activation":
        return equalize_activations(module, batches)
    return module


def _recover(qmodule, float_module, recovery: Recovery, batches: list) -> None:
    """Apply the chosen post-calibration methods in Brevitas' order."""
    from qnnflow.quant.ptq.recover import (
        bias_correction,
        fast_finetune,
        gpfq,
        gptq,
        learned_round,
    )

    if recovery.gptq:
        gptq.apply_gptq(qmodule, batches)
    if recovery.gpfq:
        gpfq.apply_gpfq(qmodule, batches)
    if recovery.learned_round:
        learned_round.apply_learned_round(qmodule, batches, iterations=recovery.iterations)
    if recovery.fast_finetune:
        fast_finetune.apply_fast_finetune(
            qmodule, float_module, batches, iterations=recovery.iterations
        )
    if recovery.bias_correction:
        bias_correction.apply_bias_correction(qmodule, batches)


def output_drift(float_module, qmodule, batches: list) -> dict:
    """How far the quantized outputs are from the float ones on the calibration set:
    signal-to-quantization-noise ratio (dB) and max absolute difference per output."""
    import torch

    def as_list(out) -> list:  # plain tensors (a QuantTensor output's dequantized value)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        return [o if isinstance(o, torch.Tensor) else o.value for o in outs]

    signal: list[float] = []
    noise: list[float] = []
    worst: list[float] = []
    with torch.no_grad():
        for batch in batches:
            ref, got = as_list(float_module(batch)), as_list(qmodule(batch))
            for i, (r, g) in enumerate(zip(ref, got, strict=True)):
                r, g = torch.as_tensor(r).float(), torch.as_tensor(g).float()
                if len(signal) <= i:
                    signal.append(0.0), noise.append(0.0), worst.append(0.0)
                signal[i] += float((r**2).sum())
                noise[i] += float(((r - g) ** 2).sum())
                worst[i] = max(worst[i], float((r - g).abs().max()))
    return {
        "sqnr_db": [
            10 * np.log10(s / n) if n > 0 else float("inf")
            for s, n in zip(signal, noise, strict=True)
        ],
        "max_abs_diff": worst,
    }


def quantize_ptq(float_model, options, recovery: Recovery, data: np.ndarray, batch_size: int):
    """Quantize a loaded FloatModel on calibration `data`; returns a PTQResult."""
    import torch

    from qnnflow.quant.ptq.quant_info import quant_info
    from qnnflow.quant.ptq.quantize import calibrate, quantize_float_model

    torch.manual_seed(0)
    batches = to_batches(data, batch_size)
    reference = float_model.module
    equalized = copy.copy(float_model)
    equalized.module = _equalized(reference, recovery, batches)
    qmodule = quantize_float_model(equalized, options)
    calibrate(qmodule, batches)
    _recover(qmodule, reference, recovery, batches)
    qmodule.eval()
    report = {
        "recovery": recovery.names(),
        "output_drift": output_drift(reference, qmodule, batches),
        **quant_info(qmodule, batches),  # calibration_samples/_batches and every tensor
    }
    shape = tuple(float_model.input_shape)
    return PTQResult(qmodule, reference, shape, report, dict(float_model.metadata))


def write_outputs(result: PTQResult, output: Path, qcdq: Path | None, header: dict) -> Path:
    """Export QONNX (+ QCDQ) and the quant-info JSON, all or nothing."""
    import tempfile

    from qnnflow.quant.ptq.export import export_qcdq, export_qonnx
    from qnnflow.util.atomic import atomic_write_bytes, atomic_write_text

    info_path = output.with_suffix(".quant_info.json")
    with tempfile.TemporaryDirectory(prefix="qnnflow-ptq-") as scratch:
        staged = Path(scratch) / "model.onnx"
        export_qonnx(result.qmodule, result.input_shape, staged, result.metadata)
        staged_qcdq = None
        if qcdq is not None:
            staged_qcdq = Path(scratch) / "model_qcdq.onnx"
            export_qcdq(result.qmodule, result.input_shape, staged_qcdq, result.metadata)
        atomic_write_bytes(output, staged.read_bytes())
        if staged_qcdq is not None and qcdq is not None:
            atomic_write_bytes(qcdq, staged_qcdq.read_bytes())
    atomic_write_text(info_path, json.dumps({**header, **result.report}, indent=2) + "\n")
    return info_path
