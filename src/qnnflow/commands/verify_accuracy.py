"""`qnnflow verify-accuracy`: the mAP@0.5 gate between a float and a quantized detector."""

from __future__ import annotations

from pathlib import Path

import click

from qnnflow.commands.evaluate import run_detect


@click.command("verify-accuracy")
@click.option(
    "--float",
    "float_model",
    required=True,
    type=click.Path(path_type=Path),
    help="The float detector (.onnx, Darknet .cfg with .weights beside it, or build folder).",
)
@click.option(
    "--quant",
    "quant_model",
    required=True,
    type=click.Path(path_type=Path),
    help="The quantized detector, same forms as --float.",
)
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Dataset folder (make-dataset output or any Darknet-style folder with names.txt).",
)
@click.option("--split", default="test", show_default=True, help="Split to score (<split>.txt).")
@click.option(
    "--max-drop",
    type=float,
    default=5.0,
    show_default=True,
    help="Largest allowed mAP@0.5 drop, in percentage points.",
)
@click.option("--max-images", type=int, help="Score only the first N images of the split.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_accuracy_cmd(
    float_model, quant_model, data_dir, split, max_drop, max_images, as_json
) -> None:
    """Score both detectors with mAP@0.5 (Darknet `valid` settings: threshold 0.005, NMS
    0.45) on the same images; exit with code 2 and advice when the quantized model loses more
    than --max-drop points. Kept as the detector form of `qnnflow evaluate --task detect`."""
    run_detect(float_model, quant_model, data_dir, split, max_drop, max_images, as_json)
