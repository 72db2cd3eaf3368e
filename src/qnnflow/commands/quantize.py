"""`qnnflow quantize`: W1A3 post-training quantization with calibration images."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from qnnflow.commands.options import input_size_option
from qnnflow.flow.config import BuildConfig
from qnnflow.util.atomic import atomic_write_bytes, atomic_write_text


def _first_last(value: str) -> int | None:
    if value == "float":
        return None
    try:
        bits = int(value)
    except ValueError:
        raise click.BadParameter(f"expected a bit width (2-8) or 'float', got '{value}'") from None
    if not 2 <= bits <= 8:
        raise click.BadParameter(f"bit width must be 2..8, got {bits}")
    return bits


@click.command("quantize")
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Darknet .cfg (weights beside it or --weights) or float .onnx.",
)
@click.option("--weights", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--scheme",
    type=click.Choice(["w1a3"]),
    default="w1a3",
    show_default=True,
    help="w1a3: binary hidden weights, 3-bit activations.",
)
@click.option(
    "--calib-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of calibration images (JPEG/PNG), used in sorted order.",
)
@click.option(
    "--calib-method",
    type=click.Choice(["minmax", "percentile", "entropy", "mse"]),
    default=BuildConfig.calib_method,
    show_default=True,
)
@click.option("--percentile", type=float, default=BuildConfig.calib_percentile, show_default=True)
@click.option("--max-samples", type=int, default=BuildConfig.calib_samples, show_default=True)
@click.option(
    "--first-last-bits",
    default="8",
    show_default=True,
    help="Precision of the first and last conv: a bit width or 'float'.",
)
@input_size_option
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def quantize_cmd(
    model_path,
    weights,
    scheme,
    calib_dir,
    calib_method,
    percentile,
    max_samples,
    first_last_bits,
    input_size,
    output,
) -> None:
    """Quantize a float detector to a QONNX model (BipolarQuant/Quant nodes) exactly as the
    build's import, tidy and quantize steps do, and write the quantize step's JSON report
    (range, scale, method, clipped fraction of every quantized tensor) beside it."""
    import tempfile

    from qnnflow.errors import QnnflowError
    from qnnflow.flow.quant_steps import (
        float_model_advice,
        is_quantized,
        needs_quantization,
        quantize_model,
    )
    from qnnflow.flow.steps import step_import, step_tidy

    bits = _first_last(first_last_bits)
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
            first_last_bits=bits,
        )
        model = step_tidy(step_import(None, cfg), cfg)
    if is_quantized(model):
        raise QnnflowError(f"{model_path}: nothing to quantize (already quantized)")
    if not needs_quantization(model):
        raise QnnflowError(f"{model_path}: {float_model_advice(model)}")
    quantized, report = quantize_model(model, cfg)
    atomic_write_bytes(output, quantized.model.SerializeToString())
    report_path = output.with_suffix(".quant.json")
    atomic_write_text(report_path, json.dumps({"scheme": scheme, **report}, indent=2))
    Console(soft_wrap=True).print(
        f"wrote {output} and {report_path} ({len(report['tensors'])} quantized tensors, "
        f"{report['calibration_images']} calibration images, {calib_method})"
    )
