"""report.md: the headline table first, the plots (SVG files in report/), then the long
sections."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qnnflow.report.detections import Drawn
from qnnflow.report.headline import Row
from qnnflow.report.plots import Plot
from qnnflow.report.sections import Section

PLOT_DIR = "report"  # beside report.md: report/<plot>.svg


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def headline_markdown(rows: Sequence[Row], portable: bool = False) -> str:
    """The headline as a two-column table; `portable` swaps machine-specific values for
    their portable text (or drops the row)."""
    lines = ["| | |", "|---|---|"]
    for row in rows:
        value = row.value
        if portable and row.machine:
            if row.portable is None:
                continue
            value = row.portable
        lines.append(f"| {row.label} | {_cell(value)} |")
    return "\n".join(lines) + "\n"


def report_markdown(
    title: str,
    rows: Sequence[Row],
    plots: Sequence[Plot],
    sections: Sequence[Section],
    drawn: Sequence[Drawn] = (),
) -> str:
    lines = [f"# {title}", "", headline_markdown(rows)]
    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{p.title}]({PLOT_DIR}/{p.name}.svg)" for p in plots]
        lines.append("")
    if drawn:
        lines += ["## Detections", ""]
        lines += [f"![{Path(d.path).name}]({d.path})" for d in drawn]
        lines.append("")
    for section in sections:
        lines += [f"## {section.title}", "", section.markdown, ""]
    return "\n".join(lines)
