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


def sensitivity_table(table) -> Table:
    """The sensitivity rows as a rich table (largest drop first)."""
    out = Table(
        title=f"per-layer sensitivity of {table.model} (float top-1 "
        f"{100 * table.float_top1:.2f}%, {table.images} images; one layer quantized, rest float)",
        caption="act bits 'shared': the layer's output meets another branch in one quantizer "
        "(a residual add), which keeps the scheme's bits; only its weights change",
    )
    for column in ("layer", "weight bits", "act bits", "top-1 %", "drop (points)"):
        out.add_column(column, justify="left" if column == "layer" else "right")
    for row in table.rows:
        out.add_row(
            row.layer,
            str(row.weight_bits),
            "shared" if row.act_bits is None else str(row.act_bits),
            f"{100 * row.top1:.2f}",
            f"{row.drop:.2f}",
        )
    return out


def run_sensitivity(
    float_model: Path,
    data_dir: Path,
    split: str | None,
    max_images: int | None,
    scheme: str,
    calib,
    model_def: str | None,
    as_json: bool,
    preprocess: dict,
) -> None:
    """Top-1 with each layer alone quantized at the scheme's bits: a table or JSON."""
    import warnings

    for module in ("brevitas", "torch", "onnxscript"):
        warnings.filterwarnings("ignore", module=module)
    from qnnflow.quant.ptq.load import load_float_model
    from qnnflow.quant.ptq.options import PTQOptions, parse_scheme
    from qnnflow.quant.ptq.sensitivity import layer_sensitivity, make_probe

    bits = parse_scheme(scheme)
    channels = preprocess.get("channels")
    loaded = load_float_model(
        float_model,
        model_def=model_def,
        input_size=preprocess.get("input_size"),
        channels=None if channels is None else (1 if channels == "gray" else 3),
    )
    probe = make_probe(
        loaded, calib, data_dir, PTQOptions(output_bits=None), split, max_images, **preprocess
    )
    err = Console(stderr=True)
    with err.status("sensitivity", spinner="dots") as status:
        table = layer_sensitivity(probe, [bits], lambda what: status.update(f"scoring {what}"))
    if as_json:
        click.echo(json.dumps({"task": "classify", "scheme": scheme, **table.to_dict()}, indent=2))
        return
    Console(soft_wrap=True).print(sensitivity_table(table))


def _check_modes(sensitivity: bool, quant_model, task: str, calib_dir, calib_data, max_drop):
    """--sensitivity replaces --quant (and needs calibration data); without it --quant is
    required and the sensitivity options mean nothing."""
    if sensitivity:
        if quant_model is not None:
            raise click.UsageError("--sensitivity quantizes the float model itself: drop --quant")
        if task != "classify":
            raise QnnflowError("--sensitivity supports --task classify only (top-1 per layer)")
        if (calib_dir is None) == (calib_data is None):
            raise click.UsageError(
                "--sensitivity needs calibration inputs: exactly one of --calib-dir or --calib-data"
            )
        if max_drop is not None:
            raise click.UsageError("--max-drop gates a --quant model; --sensitivity only reports")
        return
    if quant_model is None:
        raise click.UsageError("missing --quant MODEL (or pass --sensitivity)")
    given = [
        name
        for name, value in (("--calib-dir", calib_dir), ("--calib-data", calib_data))
        if value is not None
    ]
    if given:
        raise click.UsageError(f"{', '.join(given)}: only used with --sensitivity")


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
    type=click.Path(path_type=Path),
    help="The quantized model: QONNX (run by qonnx) or QCDQ ONNX (onnxruntime), same forms. "
    "Not with --sensitivity.",
)
@click.option(
    "--sensitivity",
    is_flag=True,
    help="classify: quantize one layer at a time (the rest float) at --scheme and list the "
    "top-1 drop per layer, largest first.",
)
@click.option(
    "--scheme",
    default="int8",
    show_default=True,
    metavar="int8|wNaM",
    help="--sensitivity: the bits each layer is tried at.",
)
@click.option(
    "--calib-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="--sensitivity: calibration images (preprocessed like --data).",
)
@click.option(
    "--calib-data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="--sensitivity: preprocessed calibration inputs (float32 N x C x H x W .npy).",
)
@click.option(
    "--max-samples",
    type=int,
    default=50,
    show_default=True,
    help="--sensitivity: calibration samples.",
)
@click.option(
    "--model-def",
    metavar="PKG.MODULE:CLASS",
    help="--sensitivity: the nn.Module class of a .pth state dict --float.",
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
    sensitivity,
    scheme,
    calib_dir,
    calib_data,
    max_samples,
    model_def,
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
    numbers are printed first; exit code 2 when the drop exceeds --max-drop. With
    --sensitivity (classify): the drop per layer when only that layer is quantized."""
    preprocess = chosen_preprocess(options)
    _check_modes(sensitivity, quant_model, task, calib_dir, calib_data, max_drop)
    if task == "classify":
        from qnnflow.quant.ptq.preprocess import with_recorded_preprocess

        preprocess = with_recorded_preprocess(float_model, preprocess)
    if sensitivity:
        from qnnflow.quant.ptq.pipeline import CalibSource

        calib = CalibSource(
            images=calib_dir, npy=calib_data, max_samples=max_samples, batch_size=16
        )
        run_sensitivity(
            float_model, data_dir, split, max_images, scheme, calib, model_def, as_json, preprocess
        )
        return
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
