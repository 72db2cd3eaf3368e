"""`qnnflow build`: run the flow's steps, saving one ONNX per step, resumable."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from qnnflow.commands.options import decoder_option, input_size_option
from qnnflow.flow.steps import step_help, step_names

DEFAULT_MODEL = Path("data/models/tinier-yolo-mini.cfg")


@click.command(
    "build",
    help="Run the compiler flow on a model, one step after another. Each step saves "
    "OUT/<model>/<NN>_<step>.onnx (open it in Netron; rerun from it with --from-step). "
    "A rerun skips steps whose inputs and options did not change.\n\nSteps:\n\n\b\n" + step_help(),
)
@click.option(
    "--board",
    default="pynq_z2",
    show_default=True,
    help="Board name under boards/ or a path to a board.yaml.",
)
@click.option(
    "--model",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_MODEL,
    show_default=True,
    help="Darknet .cfg or .onnx model.",
)
@click.option(
    "--weights",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Darknet .weights (default: beside the cfg).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Output root; the build goes to OUT/<model name>/.",
)
@click.option("--from-step", type=click.Choice(step_names()), help="Rerun from this step.")
@click.option("--to-step", type=click.Choice(step_names()), help="Stop after this step.")
@input_size_option
@click.option("--fold-bn", is_flag=True, help="Fold batch norm into conv weights at import.")
@click.option(
    "--target-fps",
    type=float,
    help="Fold for this frame rate (default: the highest that fits the board).",
)
@click.option(
    "--folding",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Folding config (JSON) to apply instead of folding automatically.",
)
@click.option(
    "--accuracy-data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Labelled dataset (make-dataset layout): the accuracy step gates the quantized mAP.",
)
@click.option(
    "--max-accuracy-drop",
    type=float,
    default=5.0,
    show_default=True,
    help="Largest allowed mAP@0.5 drop, in points, from float to quantized.",
)
@click.option(
    "--accuracy-images",
    type=int,
    default=100,
    show_default=True,
    help="Test images the accuracy step scores.",
)
@decoder_option
def build(
    board,
    model,
    weights,
    out,
    from_step,
    to_step,
    input_size,
    fold_bn,
    target_fps,
    folding,
    accuracy_data,
    max_accuracy_drop,
    accuracy_images,
    decoder,
) -> None:
    from qnnflow.flow import BuildConfig, run_build

    cfg = BuildConfig(
        model=model,
        board=board,
        weights=weights,
        output_root=out,
        input_size=input_size,
        fold_bn=fold_bn,
        from_step=from_step,
        to_step=to_step,
        target_fps=target_fps,
        folding=folding,
        accuracy_data=accuracy_data,
        max_accuracy_drop=max_accuracy_drop,
        accuracy_images=accuracy_images,
        decoder=decoder,
    )
    console = Console(soft_wrap=True)
    with console.status("starting") as status:

        def on_step(name: str, state: str) -> None:
            if state == "running":
                status.update(f"step {name}")
            elif state == "waiting":
                console.print(f"[yellow]…[/yellow] {name} (needs a vendor tool)")
            else:
                console.print(f"[green]✓[/green] {name} ({state})")

        result = run_build(cfg, on_step)
    console.print(f"build written to {result.output_dir} (report: {result.output_dir}/report.md)")
    if result.waiting:
        # not an error: every tool-free output is written; one line says how to finish
        click.echo(f"waiting: {result.waiting}", err=True)
