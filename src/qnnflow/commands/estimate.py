"""`qnnflow estimate MODEL.onnx`: fold a hardware graph for a board and report per layer."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from qnnflow.commands.options import target_scope_option
from qnnflow.util.atomic import atomic_write_bytes, atomic_write_text


@click.command("estimate")
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--board",
    default="pynq_z2",
    show_default=True,
    help="Board name under boards/ or a path to a board.yaml.",
)
@click.option(
    "--target-fps",
    type=float,
    help="Cheapest folding reaching this frame rate (default: the highest that fits).",
)
@target_scope_option()
@click.option(
    "--folding",
    "folding_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Apply this folding config (JSON) instead of folding automatically.",
)
@click.option("--keep-folding", is_flag=True, help="Estimate the model's folding as it is.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the folded model here.",
)
@click.option(
    "--save-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the chosen folding config (JSON) here, to edit and re-apply.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the estimate as JSON.")
def estimate_cmd(
    model_path,
    board,
    target_fps,
    target_scope,
    folding_path,
    keep_folding,
    output,
    save_config,
    as_json,
) -> None:
    """Fold the model's hardware layers (PE, SIMD, weight memory) exactly as the build's fold
    step does (width converters and FIFOs included) and estimate cycles, resources, fps,
    latency and DDR traffic per layer against the board budget, and the end-to-end rate of
    the pipeline of host stages (timed here, scaled to the board's ARM) and accelerator."""
    from qnnflow.analysis.end_to_end_table import end_to_end_line
    from qnnflow.analysis.estimate import estimate_network
    from qnnflow.analysis.estimate_table import estimate_rich_table, summary_lines
    from qnnflow.boards import load_board
    from qnnflow.errors import QnnflowError
    from qnnflow.flow.fold_step import estimate_with_end_to_end, fold_model, saved_folding
    from qnnflow.frontend.onnx_import import open_onnx
    from qnnflow.ops.graph_queries import hw_nodes

    if not model_path.is_file():
        raise QnnflowError(f"model not found: {model_path}")
    model = open_onnx(model_path)
    if not hw_nodes(model):
        raise QnnflowError(f"{model_path} has no hardware layers (qnnflow.ops nodes) to fold")
    target = load_board(board)
    if folding_path is not None or not keep_folding:
        model = fold_model(model, target, target_fps, folding_path, target_scope=target_scope)
    estimate = estimate_network(model, target)
    data = estimate_with_end_to_end(model, target, estimate)
    if output is not None:
        atomic_write_bytes(output, model.model.SerializeToString())
    if save_config is not None:
        atomic_write_text(save_config, json.dumps(saved_folding(model), indent=2))
    console = Console(soft_wrap=True)
    if as_json:
        console.print_json(json.dumps(data))
        return
    console.print(estimate_rich_table(estimate, f"{model_path.name} on {target.name}"))
    for line in summary_lines(estimate, target):
        console.print(line)
    console.print(end_to_end_line(data["end_to_end"]))
