"""`qnnflow build`: run the flow's steps, saving one ONNX per step, resumable."""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from qnnflow.commands.options import (
    decoder_option,
    first_last_option,
    input_size_option,
    target_scope_option,
)
from qnnflow.commands.progress_view import BuildView, is_quiet
from qnnflow.flow.steps import step_help, step_names
from qnnflow.resources import DEFAULT_MODEL_NAME, default_model


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
    help="Darknet .cfg, .onnx or trained binary-parameter .npz model "
    f"[default: the embedded {DEFAULT_MODEL_NAME}.cfg].",
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
@click.option(
    "--calib-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Calibration images for the quantize step (default: <model>-calib/ beside a cfg).",
)
@click.option(
    "--scheme",
    type=click.Choice(["w1a3"]),
    help="Quantize a float Darknet cfg with the W1A3 quantizer (binary hidden weights, 3-bit "
    "activations) even without binary=1 marks (a cfg with them gets it by default).",
)
@click.option("--fold-bn", is_flag=True, help="Fold batch norm into conv weights at import.")
@click.option(
    "--target-fps",
    type=float,
    help="Fold for this frame rate (default: the highest that fits the board).",
)
@target_scope_option()
@click.option(
    "--folding",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Folding config (JSON) to apply instead of folding automatically.",
)
@click.option(
    "--fifo-sizing",
    type=click.Choice(["lag", "sim", "rtlsim"]),
    default="lag",
    show_default=True,
    help="FIFO depths: lag (bounds per producer, instant), sim (join FIFOs from a word-level "
    "simulation) or rtlsim (every FIFO from a Verilator run of the stitched RTL; minutes).",
)
@click.option(
    "--backend",
    type=click.Choice(["hls", "rtl"]),
    default="hls",
    show_default=True,
    help="What codegen renders the folded graph to: Vitis HLS C++ (hls/, checked by cppsim "
    "with g++) or our SystemVerilog (rtl/, checked by rtlsim with Verilator; the ip step "
    "packages it with Vivado, no Vitis HLS). Switching reruns codegen and the steps after it.",
)
@click.option(
    "--synth",
    is_flag=True,
    help="Run the synth step: Yosys synthesis of every layer's RTL, synth.json beside the "
    "estimates (minutes; cached per layer).",
)
@click.option(
    "--rtlsim",
    is_flag=True,
    help="Run the rtlsim step: every layer's SystemVerilog and the stitched top in Verilator, "
    "bit-exact vs numpy, rtlsim/rtlsim.json with cycles per layer (minutes; builds cached).",
)
@click.option(
    "--resources",
    type=click.Choice(["estimate", "synth"]),
    default="estimate",
    show_default=True,
    help="What AutoFold budgets with: the ops' resource estimates, or the estimates times "
    "per-op factors that Yosys synthesis measured (synth.json of the synth step).",
)
@click.option(
    "--resource-factors",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The synth.json whose factors --resources synth applies (default: OUT/<model>/"
    "synth.json from an earlier `--to-step synth` or `qnnflow synth`).",
)
@click.option(
    "--accuracy-data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Labelled dataset (make-dataset layout): the accuracy step gates the quantized mAP.",
)
@click.option(
    "--float-reference",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The float-TRAINED model the accuracy step compares with: Darknet .weights for the "
    "cfg, a .cfg with its .weights beside it, or an .onnx (default: <model>-float.weights or "
    "<model>-float.onnx beside the model; without one the gate is not run).",
)
@click.option(
    "--max-accuracy-drop",
    type=float,
    default=5.0,
    show_default=True,
    help="Largest allowed mAP@0.5 drop, in points, from the float-trained model to the "
    "quantized one.",
)
@click.option(
    "--accuracy-images",
    type=int,
    default=100,
    show_default=True,
    help="Test images the accuracy step scores.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the random inputs the verify, streamline and to_hw checks run on.",
)
@click.option(
    "--verify-inputs",
    type=int,
    default=1,
    show_default=True,
    help="Random inputs per check; zeros, the input range's ends and inputs on the first "
    "quantizer's thresholds (and just below) are always checked too.",
)
@click.option(
    "--verify",
    type=click.Choice(["fast", "full", "off"]),
    default="fast",
    show_default=True,
    help="How transforms are checked: fast = once per step on a small image where every op "
    "allows it (full size otherwise); full = every transform at full size; off = no checks "
    "(recorded in verify.json, build_state.json and the report).",
)
@decoder_option
@first_last_option
def build(
    board,
    model,
    weights,
    out,
    from_step,
    to_step,
    input_size,
    calib_dir,
    scheme,
    fold_bn,
    target_fps,
    target_scope,
    folding,
    fifo_sizing,
    backend,
    synth,
    rtlsim,
    resources,
    resource_factors,
    accuracy_data,
    float_reference,
    max_accuracy_drop,
    accuracy_images,
    seed,
    verify_inputs,
    verify,
    decoder,
    first_last,
) -> None:
    from qnnflow.analysis.host_nodes import read_to_hw_record
    from qnnflow.flow import BuildConfig, run_build
    from qnnflow.flow.accuracy_step import gate_summary

    cfg = BuildConfig(
        model=model if model is not None else default_model(),
        board=board,
        weights=weights,
        output_root=out,
        input_size=input_size,
        calib_dir=calib_dir,
        scheme=scheme,
        fold_bn=fold_bn,
        from_step=from_step,
        to_step=to_step,
        target_fps=target_fps,
        target_scope=target_scope,
        folding=folding,
        fifo_sizing=fifo_sizing,
        backend=backend,
        synth=synth,
        rtlsim=rtlsim,
        resources=resources,
        resource_factors=resource_factors,
        accuracy_data=accuracy_data,
        float_reference=float_reference,
        max_accuracy_drop=max_accuracy_drop,
        accuracy_images=accuracy_images,
        seed=seed,
        verify_inputs=verify_inputs,
        verify=verify,
        decoder=decoder,
        first_last=first_last,
    )
    view = BuildView(is_quiet())
    if verify == "off":
        view.console.print(Text("--verify off: no transform of this build is checked", style="red"))

    def on_step(name: str, state: str) -> None:
        view.on_step(name, state)
        if state != "done":
            return
        if name == "accuracy":
            _print_gate(view, gate_summary(cfg.output_dir))
        if name == "to_hw":
            _print_host_nodes(view, read_to_hw_record(cfg.output_dir))
        if name == "fold":
            _print_end_to_end(view, cfg.output_dir / "estimate.json")

    with view:
        result = run_build(cfg, on_step)
    view.console.print(
        f"build written to {result.output_dir} (report: {result.output_dir}/report.html)"
    )
    if result.waiting:
        # not an error: every tool-free output is written; one line says how to finish
        click.echo(f"waiting: {result.waiting}", err=True)


def _print_gate(view: BuildView, line: str | None) -> None:
    """The accuracy gate's verdict under its step: a gate that did not run is no pass."""
    if line is not None:
        view.note(line, "green" if " passed:" in line else "yellow")


def _print_host_nodes(view: BuildView, record: dict | None) -> None:
    """What to_hw put in hardware and what stayed on the host (reasons in to_hw.json)."""
    from qnnflow.analysis.host_nodes import TO_HW_FILE, host_summary

    if record is not None:
        style = "yellow" if record["host_nodes"] else "green"
        view.note(f"{host_summary(record)}; reasons in {TO_HW_FILE}", style)


def _print_end_to_end(view: BuildView, estimate_json: Path) -> None:
    """The pipeline's rate under the fold step: host stages, DMA and accelerator together."""
    import json

    from qnnflow.analysis.end_to_end_table import end_to_end_line

    if estimate_json.is_file():
        data = json.loads(estimate_json.read_text()).get("end_to_end")
        view.note(end_to_end_line(data), "cyan")
