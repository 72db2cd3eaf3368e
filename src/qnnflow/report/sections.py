"""The report's long sections after the headline (steps, verification, conversion to
hardware, layers, folding and estimates, synthesis, board budget), as markdown text that
report.md shows as is and report.html shows collapsed."""

from __future__ import annotations

from dataclasses import dataclass

from qnnflow.analysis.end_to_end_table import HEADING as END_TO_END_HEADING
from qnnflow.analysis.estimate_table import host_markdown
from qnnflow.analysis.host_nodes import TO_HW_FILE, host_summary, read_to_hw_record
from qnnflow.flow.accuracy_step import gate_summary
from qnnflow.flow.model_summary import summarize
from qnnflow.flow.synth_step import synth_section
from qnnflow.report.data import BuildData
from qnnflow.report.headline import VERIFY_TEXT, verify_mode


@dataclass(frozen=True)
class Section:
    """`machine`: holds timings of the build machine (left out of the deploy copy)."""

    title: str
    markdown: str
    machine: bool = False


def _mac_text(macs: int) -> str:
    return f"{macs / 1e6:,.1f} M MAC" if macs >= 100_000 else f"{macs:,} MAC"


def _steps(data: BuildData) -> str:
    lines = ["| step | output | seconds |", "|---|---|---|"]
    for name, entry in data.state.get("steps", {}).items():
        seconds = entry.get("seconds")
        seconds_text = f"{seconds:.2f}" if isinstance(seconds, (int, float)) else "-"
        lines.append(f"| {name} | `{entry.get('output', '-')}` | {seconds_text} |")
    return "\n".join(lines)


def _verification(data: BuildData) -> str:
    mode, verify = verify_mode(data), data.verify
    lines = []
    if mode == "off":
        lines += ["**OFF (`--verify off`): no transform of this build was checked.**", ""]
    elif mode is not None:
        lines += [f"transforms checked with `--verify {mode}` ({VERIFY_TEXT[mode]})", ""]
    if verify is None or verify.get("passed") is None:
        return "\n".join(lines + ["graph after tidy: not checked" if verify else "not run"])
    status = "passed" if verify["passed"] else "FAILED"
    kind = "bit-exact" if verify.get("bit_exact") else f"tolerance {verify['tolerance']}"
    lines += [f"graph after tidy ({status}, {kind}):", ""]
    lines += [f"- {k}: max relative error {v:.3g}" for k, v in verify["max_relative_error"].items()]
    return "\n".join(lines)


def _to_hw(data: BuildData) -> str:
    """What to_hw put in hardware and what stayed on the host; the host table itself is in
    the estimate when the fold step ran."""
    record = read_to_hw_record(data.out)
    if record is None:
        return "to_hw step not run"
    lines = [f"{host_summary(record)}; reasons in {TO_HW_FILE}"]
    if record["host_nodes"] and data.estimate is None:
        lines += ["", host_markdown(record["host_nodes"])]
    return "\n".join(lines)


def _layers(data: BuildData) -> str:
    if data.model is None:
        return "no model saved yet"
    rows = summarize(data.model)
    hw = [r for r in rows if r.hardware]
    hw_macs, host_macs = sum(r.macs for r in hw), sum(r.macs for r in rows if not r.hardware)
    lines = [
        f"{len(rows)} nodes ({len(hw)} in hardware, {len(rows) - len(hw)} on the host), "
        f"{sum(r.params for r in rows):,} parameters, {_mac_text(hw_macs)} per frame in "
        f"hardware, {_mac_text(host_macs)} on the host",
        "",
        "| node | op | output | params | MAC | where |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.op_type} | {'x'.join(map(str, r.out_shape))} | "
            f"{r.params:,} | {r.macs:,} | {'hardware' if r.hardware else 'host'} |"
        )
    return "\n".join(lines)


def _estimate(data: BuildData) -> tuple[str, str | None]:
    """estimate.md split into the folding table and the end-to-end part (timed here)."""
    path = data.out / "estimate.md"
    if not path.is_file():
        return "fold step not run: no estimate", None
    text = path.read_text().rstrip("\n")
    folding, found, end_to_end = text.partition(END_TO_END_HEADING)
    return folding.rstrip("\n"), (found + end_to_end) if found else None


def _budget(data: BuildData) -> str:
    board = data.board
    lines = ["| resource | available |", "|---|---|"]
    lines += [f"| {k} | {v:,} |" for k, v in board.resources.items()]
    lines.append(f"| DDR bandwidth (usable) | {board.ddr_bandwidth_mb_s:g} MB/s |")
    return "\n".join(lines)


def report_sections(data: BuildData) -> list[Section]:
    """The sections after the headline and the plots, in order."""
    folding, end_to_end = _estimate(data)
    synth = "not run" if data.model is None else synth_section(data.out, data.model)
    sections = [
        Section("Steps", _steps(data), machine=True),
        Section("Verification", _verification(data)),
        Section("Accuracy", gate_summary(data.out) or "accuracy step not run"),
        Section("Conversion to hardware", _to_hw(data)),
        Section("Layers", _layers(data)),
        Section("Folding and estimates", folding),
    ]
    if end_to_end is not None:
        sections.append(Section("End to end", end_to_end, machine=True))
    sections += [
        Section("Synthesis (Yosys, estimate / synthesized (ratio))", synth),
        Section("Board budget", _budget(data)),
    ]
    return sections
