"""`qnnflow quantize` on a Darknet cfg with binary=1 convs (or any cfg with --scheme w1a3):
the build's own W1A3 quantizer (its import, tidy and quantize steps), so the command gives
what the build gives."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig
from qnnflow.util.atomic import atomic_write_bytes, atomic_write_text

DARKNET_SCHEME = "w1a3"


def is_binary_darknet(model: Path) -> bool:
    """A Darknet cfg whose hidden convs are marked binary=1: the W1A3 quantizer's input."""
    if model.suffix.lower() != ".cfg":
        return False
    from qnnflow.frontend.darknet.cfg_reader import read_cfg

    return any(
        s.name == "convolutional" and s.has("binary") and s.options["binary"].value.strip() == "1"
        for s in read_cfg(model)
    )


def uses_darknet_w1a3(model: Path, scheme: str | None) -> bool:
    """--scheme w1a3 on any Darknet cfg, or no scheme on one marked binary=1."""
    if model.suffix.lower() != ".cfg":
        return False
    return scheme == DARKNET_SCHEME or (scheme is None and is_binary_darknet(model))


def quantize_darknet_w1a3(
    model_path,
    weights,
    calib_dir,
    calib_method,
    percentile,
    max_samples,
    first_last_bits,
    input_size,
    output,
) -> None:
    """The Darknet W1A3 quantizer the build runs (binary hidden convs, 3-bit activations)."""
    import tempfile

    from qnnflow.flow.quant_steps import (
        float_model_advice,
        is_quantized,
        needs_quantization,
        quantize_model,
    )
    from qnnflow.flow.steps import step_import, step_tidy

    with tempfile.TemporaryDirectory(prefix="qnnflow-quantize-") as scratch:
        cfg = BuildConfig(
            model=model_path,
            weights=weights,
            input_size=input_size,
            output_root=Path(scratch),  # the steps write nothing here; the paths must exist
            calib_dir=calib_dir,
            calib_method=calib_method,
            calib_samples=max_samples,
            calib_percentile=percentile,
            first_last_bits=first_last_bits,
            scheme=DARKNET_SCHEME,
        )
        model = step_tidy(step_import(None, cfg), cfg)
    if is_quantized(model):
        raise QnnflowError(f"{model_path}: nothing to quantize (already quantized)")
    if not needs_quantization(model, cfg.scheme):
        raise QnnflowError(f"{model_path}: {float_model_advice(model)}")
    quantized, report = quantize_model(model, cfg)
    atomic_write_bytes(output, quantized.model.SerializeToString())
    report_path = output.with_suffix(".quant.json")
    atomic_write_text(report_path, json.dumps({"scheme": DARKNET_SCHEME, **report}, indent=2))
    Console(soft_wrap=True).print(
        f"wrote {output} and {report_path} ({len(report['tensors'])} quantized tensors, "
        f"{report['calibration_images']} calibration images, {calib_method})"
    )
