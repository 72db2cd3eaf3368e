"""The benchmark's one table (markdown, so it pastes into the README as printed)."""

from __future__ import annotations

from dataclasses import dataclass

HEADER = (
    "| network | target fps | fps ours / finn+ (x) | LUT ours / finn+ (x) "
    "| BRAM36 ours / finn+ (x) | DSP ours / finn+ | compile s ours / finn+ (x) |"
)


@dataclass
class Row:
    """One network at one target: qnnflow's numbers, and finn-plus's where it compiles."""

    network: str
    target: str
    ours: dict | None  # None: qnnflow refused (the reason is printed below the table)
    finn: dict | None  # None: finn-plus cannot compile this network
    seconds_ours: float | None = None  # also set when qnnflow refused (time to the refusal)


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else "-"


def _cell(ours: float | None, theirs: float | None, fmt: str, ratio: bool = True) -> str:
    left = "n.a." if ours is None else f"{ours:{fmt}}"
    right = "n.a." if theirs is None else f"{theirs:{fmt}}"
    if ratio and ours is not None and theirs is not None:
        return f"{left} / {right} ({_ratio(ours, theirs)})"
    return f"{left} / {right}"


def render(rows: list[Row]) -> str:
    """Markdown table; finn-plus BRAM is its BRAM_18K count / 2 (two 18K halves per 36K)."""
    lines = [HEADER, "|" + "---|" * 7]
    for row in rows:
        o, f = row.ours, row.finn
        lines.append(
            "| "
            + " | ".join(
                [
                    row.network,
                    row.target,
                    _cell(o and o["fps"], f and f["fps"], ".1f"),
                    _cell(o and o["lut"], f and f["lut"], ",.0f"),
                    _cell(o and o["bram36"], f and f["bram18"] / 2, ".1f"),
                    _cell(o and o["dsp"], f and f["dsp"], ".0f", ratio=False),
                    _cell(row.seconds_ours, f and f["seconds"], ".1f"),
                ]
            )
            + " |"
        )
    return "\n".join(lines)
