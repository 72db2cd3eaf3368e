"""`qnnflow verify-accuracy`: the mAP@0.5 gate between a float and a quantized detector."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


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
    than --max-drop points."""
    from qnnflow.quant.accuracy_gate import compare_models, enforce

    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(f"{label} model", total=total)
            bar.update(tasks[label], completed=done)

        result = compare_models(
            float_model, quant_model, data_dir, split, max_drop, max_images, advance
        )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        table = Table(title=f"mAP@0.5 on {data_dir} ({split}, {result.quant_score.images} images)")
        for column in ("class", "objects", "float AP", "quant AP"):
            table.add_column(column, justify="left" if column == "class" else "right")
        float_r, quant_r = result.float_score.result, result.quant_score.result
        for k, name in enumerate(result.float_score.names):
            table.add_row(
                name, str(float_r.ground_truth[k]), _percent(float_r.ap[k]), _percent(quant_r.ap[k])
            )
        table.add_row("mAP", "", _percent(float_r.mean_ap), _percent(quant_r.mean_ap))
        console = Console(soft_wrap=True)
        console.print(table)
        verdict = "passed" if result.passed else "FAILED"
        console.print(
            f"drop {result.drop:.2f} points (allowed {max_drop:g}): {verdict}", highlight=False
        )
    enforce(result)
