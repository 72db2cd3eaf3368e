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
    steps_ours: dict[str, float] | None = None  # seconds per build step (build_state.json)
    steps_finn: dict[str, float] | None = None  # seconds per step (finn_compile.py)


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


def _step_table(
    title: str, runs: list[tuple[str, dict[str, float]]], estimates_at: str | None = None
) -> str:
    """Rows = steps (in the order they ran), columns = runs; '-' where a run lacks the step
    (not run, or refused before it); a last row sums each run, and with `estimates_at` one
    row before it sums the steps up to that one (what it takes to reach the estimates)."""
    steps: list[str] = []
    for _, times in runs:
        steps += [name for name in times if name not in steps]
    lines = [f"| {title} | " + " | ".join(label for label, _ in runs) + " |"]
    lines.append("|" + "---|" * (len(runs) + 1))
    for step in steps:
        cells = [f"{times[step]:.2f}" if step in times else "-" for _, times in runs]
        lines.append(f"| {step.removeprefix('step_')} | " + " | ".join(cells) + " |")
    if estimates_at in steps:
        head = steps[: steps.index(estimates_at) + 1]
        sums = [f"**{sum(times.get(step, 0.0) for step in head):.2f}**" for _, times in runs]
        lines.append(f"| **{head[0]} .. {estimates_at} (estimates)** | " + " | ".join(sums) + " |")
    totals = [f"**{sum(times.values()):.2f}**" for _, times in runs]
    lines.append("| **sum of steps** | " + " | ".join(totals) + " |")
    return "\n".join(lines)


def render_steps(rows: list[Row]) -> str:
    """Compile seconds per step: one table for qnnflow, one for finn-plus, a column per
    network and target (the runs of the main table)."""
    first = rows[0].network if rows else ""

    def label(row: Row) -> str:
        return row.target if row.network == first else f"{row.network} {row.target}"

    tables = []
    for title, attr, estimates_at in (
        ("qnnflow step (s)", "steps_ours", "fold"),  # later steps generate and simulate code
        ("finn-plus step (s)", "steps_finn", None),  # an estimate-only build throughout
    ):
        runs = [(label(r), getattr(r, attr)) for r in rows if getattr(r, attr)]
        if runs:
            tables.append(_step_table(title, runs, estimates_at))
    return "\n\n".join(tables)
