"""`qnnflow import-darknet CFG WEIGHTS -o OUT.onnx`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from qnnflow.commands.options import input_size_option
from qnnflow.util.atomic import atomic_write_bytes


@click.command("import-darknet")
@click.argument("cfg", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("weights", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the float QONNX model (.onnx).",
)
@input_size_option
@click.option("--fold-bn", is_flag=True, help="Fold batch norm into the conv weights.")
@click.option(
    "--binary-mode",
    type=click.Choice(["float", "darknet"]),
    default="float",
    show_default=True,
    help="float: keep binary=1 layers' float weights for the quantizer; darknet: "
    "apply Darknet's sign*mean|w| binarization (and xnor input signs).",
)
def import_darknet_cmd(
    cfg: Path, weights: Path, output: Path, input_size, fold_bn: bool, binary_mode: str
) -> None:
    """Convert a Darknet cfg + weights into a float ONNX/QONNX graph (NCHW).

    Region/yolo heads stay outside the graph: the raw head tensors are the outputs, decoded
    by qnnflow.yolo. Nothing is written when the cfg or weights are malformed.
    """
    from qnnflow.frontend.darknet import import_darknet, layer_outputs

    model = import_darknet(cfg, weights, input_size, fold_bn=fold_bn, binary_mode=binary_mode)
    atomic_write_bytes(output, model.model.SerializeToString())
    outputs = ", ".join(o.name for o in model.graph.output)
    Console(soft_wrap=True).print(
        f"wrote {output}: {len(layer_outputs(model))} Darknet layers, "
        f"{len(model.graph.node)} ONNX nodes, outputs: {outputs}"
    )
