"""Render the end-to-end estimate (the `end_to_end` dict of estimate.json) as a Markdown
table for estimate.md / report.md and as one line for the CLI.

Every line that holds a measured time starts with `| host` or `end to end:`, so comparing
two builds can set exactly those aside (tests/flow/test_reproducible.py)."""

from __future__ import annotations

HEADING = "### End-to-end frame rate"
NOT_ESTIMATED = "end to end: no hardware layers, so no pipeline estimate"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3f}" if value < 1 else f"{value:,.1f}"


def _parts(stage: dict) -> str:
    parts = ", ".join(f"{name} {_ms(ms)}" for name, ms in stage["parts"].items())
    return "; ".join(text for text in (parts, stage.get("note", "")) if text)


def end_to_end_line(data: dict | None) -> str:
    """One line: the rate, the stage that sets it and the factor behind the host times."""
    if data is None:
        return NOT_ESTIMATED
    if data["fps"] is None:
        return f"end to end: not estimated: {data['reason']}"
    slowest = next(s for s in data["stages"] if s["name"] == data["slowest_stage"])
    return (
        f"end to end: {data['fps']:,.1f} fps, set by {slowest['name']} "
        f"({_ms(slowest['board_ms'])} ms on the board); host times x{data['factor']:.1f} "
        f"(numpy conv0 {data['conv0_board_ms']:g} ms on the board / "
        f"{data['conv0_here_ms']:.1f} ms here)"
    )


def end_to_end_markdown(data: dict | None) -> str:
    """The stages as a table (ms per frame here and on the board) and the rate under it."""
    lines = [HEADING, ""]
    if data is None or data["fps"] is None:
        return "\n".join([*lines, end_to_end_line(data)]) + "\n"
    lines += [
        "Frames overlap: each stage works on a different frame, so the slowest sets the rate.",
        f"Host model: {data['host_model']}." if data.get("host_model") else "",
        "",
        "| stage | runs on | ms here | ms on the board | parts (ms on the board) |",
        "|---|---|---|---|---|",
    ]
    for stage in data["stages"]:
        lines.append(
            f"| {stage['name']} | {stage['runs_on']} | {_ms(stage['here_ms'])} | "
            f"{_ms(stage['board_ms'])} | {_parts(stage)} |"
        )
    return "\n".join([*lines, "", end_to_end_line(data)]) + "\n"
