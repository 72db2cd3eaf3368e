"""`qnnflow import-binparams NPZ -o OUT.onnx`: the trained Tinier-YOLO as a qnnflow model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from rich.console import Console

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
def import_binparams_cmd(npz: Path, output: Path, hidden_only: bool) -> None:
    """Build the trained Tinier-YOLO (binary weights, integer thresholds) as a QONNX graph of
    hardware layers; conv0 (float + 3-bit quantizer) and conv8 (float 1x1) stay host ops."""
    from qnnflow.frontend.binparams import detector_model, hidden_layers_model, load_binparams

    params = load_binparams(npz)
    model = hidden_layers_model(params) if hidden_only else detector_model(params)
    atomic_write_bytes(output, model.model.SerializeToString())
    ops = Counter(n.op_type for n in model.graph.node)
    summary = ", ".join(f"{count} {op}" for op, count in ops.items())
    Console(soft_wrap=True).print(f"wrote {output}: {summary}")
