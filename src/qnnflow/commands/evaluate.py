"""`qnnflow evaluate`: the accuracy a quantized model keeps against its float original, top-1
/ top-5 for classifiers, mAP@0.5 for detectors (the verify-accuracy gate, which runs here)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from qnnflow.commands.preprocess_options import chosen_preprocess, preprocess_options
from qnnflow.errors import QnnflowError


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def _verdict(drop: float, max_drop: float | None, passed: bool) -> str:
    if max_drop is None:
        return f"drop {drop:.2f} points (no --max-drop gate)"
    return f"drop {drop:.2f} points (allowed {max_drop:g}): {'passed' if passed else 'FAILED'}"


def run_detect(
    float_model: Path,
    quant_model: Path,
    data_dir: Path,
    split: str,
    max_drop: float | None,
    max_images: int | None,
    as_json: bool,
) -> None:
    """mAP@0.5 of both detectors, printed as a table or JSON; exit 2 over `max_drop`."""
    from qnnflow.quant.accuracy_gate import compare_models, enforce

    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(f"{label} model", total=total)
            bar.update(tasks[label], completed=done)

        gate = math.inf if max_drop is None else max_drop
        result = compare_models(
            float_model, quant_model, data_dir, split, gate, max_images, advance
        )
    if as_json:
        payload = result.to_dict() | {"task": "detect"}
        payload["max_drop_points"] = max_drop
        click.echo(json.dumps(payload, indent=2))
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
        console.print(_verdict(result.drop, max_drop, result.passed), highlight=False)
    enforce(result)


def run_classify(
    float_model: Path,
    quant_model: Path,
    data_dir: Path,
    split: str | None,
    max_drop: float | None,
    max_images: int | None,
    batch_size: int,
    as_json: bool,
    preprocess: dict,
) -> None:
    """Top-1 / top-5 of both classifiers, printed as a table or JSON; exit 2 over `max_drop`."""
    from qnnflow.quant.evaluate.classify import compare_classifiers, enforce

    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("both models", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = compare_classifiers(
            float_model,
            quant_model,
            data_dir,
            split=split,
            max_drop=max_drop,
            max_images=max_images,
            batch_size=batch_size,
            progress=advance,
            **preprocess,
        )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        k = result.float_score.topk.top5_k
        images = result.float_score.topk.images
        table = Table(title=f"top-1 / top-{k} on {data_dir} ({images} images)")
        for column in ("model", "top-1 %", f"top-{k} %", "run by", "seconds"):
            table.add_column(column, justify="left" if column in ("model", "run by") else "right")
        for label, score in (("float", result.float_score), ("quant", result.quant_score)):
            table.add_row(
                f"{label} {score.path.name}",
                _percent(score.topk.top1),
                _percent(score.topk.top5),
                score.executor,
                f"{score.seconds:.1f}",
            )
        console = Console(soft_wrap=True)
        console.print(table)
        top5 = result.drops["top5"]
        console.print(
            f"top-1 {_verdict(result.drop, max_drop, result.passed)}; top-{k} drop {top5:.2f}",
            highlight=False,
        )
    enforce(result)


@click.command("evaluate")
@click.option(
    "--float",
    "float_model",
    required=True,
    type=click.Path(path_type=Path),
    help="The float model: ONNX (classify), or a detector .onnx / Darknet .cfg / build folder.",
)
@click.option(
    "--quant",
    "quant_model",
    required=True,
    type=click.Path(path_type=Path),
    help="The quantized model: QONNX (run by qonnx) or QCDQ ONNX (onnxruntime), same forms.",
)
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="classify: DIR/<class>/*.png (classes sorted, or DIR/classes.txt); detect: a "
    "make-dataset folder with names.txt.",
)
@click.option("--task", type=click.Choice(["classify", "detect"]), required=True)
@click.option(
    "--split",
    help="classify: score DIR/<split>/<class>/ (default: DIR itself); detect: <split>.txt "
    "(default test).",
)
@click.option(
    "--max-drop",
    type=float,
    help="Largest allowed drop in percentage points (top-1 or mAP@0.5); over it: exit 2. "
    "Default: report only.",
)
@click.option(
    "--max-images", type=int, help="Score only N images (classify: taken round-robin by class)."
)
@click.option(
    "--batch-size", type=int, default=64, show_default=True, help="classify: images per run."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@preprocess_options
def evaluate_cmd(
    float_model,
    quant_model,
    data_dir,
    task,
    split,
    max_drop,
    max_images,
    batch_size,
    as_json,
    **options,
) -> None:
    """Score a float and a quantized model on the same data and report the drop: top-1 /
    top-5 for --task classify, mAP@0.5 (Darknet `valid` settings) for --task detect. The
    numbers are printed first; exit code 2 when the drop exceeds --max-drop."""
    preprocess = chosen_preprocess(options)
    if task == "detect":
        given = [f"--{k.replace('_', '-')}" for k, v in preprocess.items() if v is not None]
        if given:
            raise QnnflowError(
                f"{', '.join(given)}: preprocessing options apply to --task classify; a "
                "detector is letterboxed to its own input size, as Darknet does"
            )
        run_detect(
            float_model, quant_model, data_dir, split or "test", max_drop, max_images, as_json
        )
        return
    run_classify(
        float_model,
        quant_model,
        data_dir,
        split,
        max_drop,
        max_images,
        batch_size,
        as_json,
        preprocess,
    )
