"""`qnnflow quantize`: W1A3 post-training quantization with calibration images."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

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
    default="percentile",
    show_default=True,
)
@click.option("--percentile", type=float, default=99.99, show_default=True)
@click.option("--max-samples", type=int, default=50, show_default=True)
@click.option(
    "--first-last-bits",
    default="8",
    show_default=True,
    help="Precision of the first and last conv: a bit width or 'float'.",
)
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
    output,
) -> None:
    """Quantize a float detector to a QONNX model (BipolarQuant/Quant nodes) and write a JSON
    report of every quantized tensor (range, scale, method, clipped fraction) beside it."""
    from qnnflow.frontend.darknet import import_darknet
    from qnnflow.frontend.onnx_import import load_onnx
    from qnnflow.quant.calib_images import load_calibration_batch
    from qnnflow.quant.w1a3 import QUANT_REPORT_KEY, quantize_w1a3

    bits = _first_last(first_last_bits)
    if model_path.suffix == ".cfg":
        model = import_darknet(model_path, weights or model_path.with_suffix(".weights"))
    else:
        model = load_onnx(model_path)
    _, _, height, width = (int(d) for d in model.get_tensor_shape(model.graph.input[0].name))
    batch = load_calibration_batch(calib_dir, width, height, max_samples)
    quantized = quantize_w1a3(model, batch, calib_method, percentile, 3, bits)
    report = json.loads(quantized.get_metadata_prop(QUANT_REPORT_KEY))
    atomic_write_bytes(output, quantized.model.SerializeToString())
    report_path = output.with_suffix(".quant.json")
    atomic_write_text(
        report_path,
        json.dumps(
            {"scheme": scheme, "calibration_images": len(batch), "tensors": report}, indent=2
        ),
    )
    Console(soft_wrap=True).print(
        f"wrote {output} and {report_path} ({len(report)} quantized tensors, "
        f"{len(batch)} calibration images, {calib_method})"
    )
