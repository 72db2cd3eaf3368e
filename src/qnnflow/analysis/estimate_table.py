"""Render a NetworkEstimate as Markdown (build reports) or a rich table (CLI)."""

from __future__ import annotations

from rich.table import Table

from qnnflow.analysis.estimate import RESOURCE_KINDS, NetworkEstimate
from qnnflow.boards import Board

COLUMNS = ("layer", "op", "folding", "cycles", *RESOURCE_KINDS, "DDR KB/frame")


def _folding_text(folding: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in folding.items())


def _rows(estimate: NetworkEstimate) -> list[list[str]]:
    bottleneck = estimate.bottleneck.name
    rows = []
    for layer in estimate.layers:
        mark = " (bottleneck)" if layer.name == bottleneck else ""
        rows.append(
            [
                layer.name + mark,
                layer.op_type,
                _folding_text(layer.folding),
                f"{layer.cycles:,}",
                *(f"{layer.resources.get(k, 0):,.0f}" for k in RESOURCE_KINDS),
                f"{layer.ddr_bytes_per_frame / 1024:,.1f}",
            ]
        )
    return rows


NO_HARDWARE = "no hardware layers: nothing runs in the accelerator, so there is no fps estimate"


def _host_line(estimate: NetworkEstimate) -> str:
    nodes = estimate.host_nodes
    ops = ", ".join(sorted({n["op_type"] for n in nodes}))
    return f"not counted: {len(nodes)} nodes run on the host (ARM), outside the accelerator ({ops})"


def summary_lines(estimate: NetworkEstimate, board: Board) -> list[str]:
    if not estimate.layers:
        return [NO_HARDWARE] + ([_host_line(estimate)] if estimate.host_nodes else [])
    totals, use = estimate.totals(), estimate.utilization(board)
    parts = [f"{k} {totals[k]:,.0f}/{board.resources[k]:,} ({use[k]:.0%})" for k in RESOURCE_KINDS]
    lines = [
        f"estimated {estimate.fps:,.1f} fps at {board.clock_mhz:g} MHz for the "
        f"{len(estimate.layers)} hardware layers "
        f"(bottleneck {estimate.bottleneck.name}, {estimate.bottleneck.cycles:,} cycles), "
        f"latency <= {estimate.latency_ms:,.1f} ms, DDR weights {estimate.ddr_mb_per_s:,.1f} MB/s",
        "resources incl. platform: " + ", ".join(parts),
    ]
    fifos = [layer for layer in estimate.layers if layer.op_type == "StreamingFIFO"]
    if fifos:
        cost = {k: sum(f.resources.get(k, 0.0) for f in fifos) for k in ("LUT", "BRAM36")}
        words = sum(f.folding.get("depth", 0) for f in fifos)
        lines.append(
            f"FIFOs: {len(fifos)} holding {words:,} words, LUT {cost['LUT']:,.0f}, "
            f"BRAM36 {cost['BRAM36']:,.0f} (included above)"
        )
    return lines + ([_host_line(estimate)] if estimate.host_nodes else [])


def host_markdown(host_nodes: list[dict]) -> str:
    """The host nodes as a Markdown table (where each sits, why it is not hardware)."""
    lines = ["| node | op | where | why not in hardware |", "|---|---|---|---|"]
    for n in host_nodes:
        where = f"{n['position']} the accelerator" if n["position"] != "no hardware" else "-"
        reason = n["reason"].replace("|", "\\|")
        lines.append(f"| {n['name']} | {n['op_type']} | {where} | {reason} |")
    return "\n".join(lines) + "\n"


def estimate_markdown(estimate: NetworkEstimate, board: Board) -> str:
    lines = []
    if estimate.layers:
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(row) + " |" for row in _rows(estimate)]
        lines.append("")
    text = "\n".join(lines + summary_lines(estimate, board)) + "\n"
    if estimate.host_nodes:
        text += "\n" + host_markdown(estimate.host_nodes)
    return text


def estimate_rich_table(estimate: NetworkEstimate, title: str) -> Table:
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(
            column, justify="left" if column in ("layer", "op", "folding") else "right"
        )
    for row in _rows(estimate):
        table.add_row(*row)
    return table
