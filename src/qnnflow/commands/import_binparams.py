"""`qnnflow import-binparams NPZ -o OUT.onnx`: the trained Tinier-YOLO as a qnnflow model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from rich.console import Console

from qnnflow.commands.options import first_last_option
from qnnflow.util.atomic import atomic_write_bytes


@click.command("import-binparams")
@click.argument("npz", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the model (.onnx).",
)
@click.option(
    "--hidden-only",
    is_flag=True,
    help="Only the hardware layers (3-bit codes in, codes out), as on the board's "
    "accelerator; default: the whole detector with conv0/conv8 on the host.",
)
@click.option(
    "--host-precision",
    type=click.Choice(["float", "int8"]),
    default="float",
    show_default=True,
    help="Weights of the host convs (conv0, conv8): float, or 8-bit per filter.",
)
@first_last_option
def import_binparams_cmd(
    npz: Path, output: Path, hidden_only: bool, host_precision: str, first_last: str
) -> None:
    """Build the trained Tinier-YOLO (binary weights, integer thresholds) as a QONNX graph of
    hardware layers; conv0 (float + 3-bit quantizer) and conv8 (float 1x1) stay host ops, or
    with --first-last fabric are quantized (8-bit) for the flow to put in hardware."""
    from qnnflow.frontend.binparams import detector_model, hidden_layers_model, load_binparams

    params = load_binparams(npz)
    host_bits = 8 if host_precision == "int8" else None
    if first_last == "fabric" and host_bits is not None:
        raise click.UsageError("--host-precision applies to host convs, not --first-last fabric")
    model = (
        hidden_layers_model(params)
        if hidden_only
        else detector_model(params, host_bits, first_last=first_last)
    )
    atomic_write_bytes(output, model.model.SerializeToString())
    ops = Counter(n.op_type for n in model.graph.node)
    summary = ", ".join(f"{count} {op}" for op, count in ops.items())
    Console(soft_wrap=True).print(f"wrote {output}: {summary}")
