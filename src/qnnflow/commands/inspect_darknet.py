"""`qnnflow inspect-darknet CFG`: the layer table Darknet prints when it loads a cfg."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from qnnflow.commands.options import input_size_option


@click.command("inspect-darknet")
@click.argument("cfg", type=click.Path(dir_okay=False, path_type=Path))
@input_size_option
def inspect_darknet_cmd(cfg: Path, input_size) -> None:
    """Check a cfg and print every layer with its input and output shapes."""
    from qnnflow.frontend.darknet import load_network
    from qnnflow.frontend.darknet.layers import ConvLayer

    network = load_network(cfg, input_size)
    table = Table(title=f"{cfg} ({network.net.width}x{network.net.height}x{network.net.channels})")
    for column in ("#", "layer", "details", "input", "output", "line"):
        table.add_column(column)
    for layer in network.layers:
        details = ""
        if isinstance(layer, ConvLayer):
            details = f"{layer.filters} {layer.size}x{layer.size}/{layer.stride} {layer.activation}"
            details += " binary" if layer.binary else ""
            details += " xnor" if layer.xnor else ""
        shape_in = "x".join(map(str, layer.in_shape))
        shape_out = "x".join(map(str, layer.out_shape))
        table.add_row(str(layer.index), layer.kind, details, shape_in, shape_out, str(layer.line))
    Console().print(table)
    floats = sum(layer.num_weight_floats for layer in network.conv_layers)
    Console(soft_wrap=True).print(f"weights file size: {floats} floats after the header")
