"""`qnnflow synth BUILD_DIR`: Yosys synthesis of a build's RTL layers (synth.json/md)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console


@click.command("synth")
@click.argument("build_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Yosys processes at a time [default: one per core].",
)
@click.option("--board", help="Board whose budget to compare with [default: the folding's].")
def synth_cmd(build_dir: Path, jobs: int | None, board: str | None) -> None:
    """Synthesize every hardware layer of BUILD_DIR (a `qnnflow build` output folder, folded)
    with Yosys for 7-series and write synth.json and synth.md there: per layer the estimate
    beside the synthesized LUT/FF/BRAM36/LUTRAM/DSP, their ratios, the totals and the board
    budget. The factors it measures feed `qnnflow build --resources synth`."""
    from qnnflow.commands.progress_view import progress_bars
    from qnnflow.flow.synth_step import SYNTH_MD, synth_build_dir
    from qnnflow.util import progress

    console = Console(soft_wrap=True)
    with (
        progress_bars(),
        progress.task("synthesizing (Yosys; the first run compiles it, about a minute)"),
    ):
        summary = synth_build_dir(build_dir, jobs, board)
    totals = summary["totals"]
    console.print(
        "synthesized {} layers: {}".format(
            len(summary["layers"]),
            ", ".join(
                f"{k} {totals['synth'][k]:,.0f} (x{totals['ratio'][k] or 0:.2f})"
                for k in ("LUT", "FF", "BRAM36", "LUTRAM", "DSP")
            ),
        )
    )
    for skipped in summary["not_synthesized"]:
        console.print(f"  [yellow]not synthesized[/yellow]: {skipped['layer']} ({skipped['why']})")
    console.print(f"written {build_dir / 'synth.json'} and {build_dir / SYNTH_MD}")
