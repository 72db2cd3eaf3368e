"""Build step: write report.md and report.json from the model and the files earlier steps
left in the output directory (step times, verification results)."""

from __future__ import annotations

import json
from collections import Counter

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.estimate_table import host_markdown
from qnnflow.analysis.host_nodes import TO_HW_FILE, host_summary, read_to_hw_record
from qnnflow.boards import load_board
from qnnflow.flow.accuracy_step import ACCURACY_FILE, gate_summary
from qnnflow.flow.config import BuildConfig
from qnnflow.flow.model_summary import summarize
from qnnflow.flow.state import load_state
from qnnflow.flow.synth_step import synth_section
from qnnflow.util.atomic import atomic_write_text

BACKEND_TEXT = {
    "hls": "Vitis HLS C++ in hls/",
    "rtl": "SystemVerilog in rtl/, packaged by Vivado without Vitis HLS",
}


def _mac_text(macs: int) -> str:
    return f"{macs / 1e6:,.1f} M MAC" if macs >= 100_000 else f"{macs:,} MAC"


def _to_hw_lines(cfg: BuildConfig, estimate_written: bool) -> list[str]:
    """What to_hw put in hardware and what stayed on the host; the host table itself is in
    the estimate when the fold step ran."""
    record = read_to_hw_record(cfg.output_dir)
    if record is None:
        return ["to_hw step not run"]
    lines = [f"{host_summary(record)}; reasons in {TO_HW_FILE}"]
    if record["host_nodes"] and not estimate_written:
        lines += ["", host_markdown(record["host_nodes"])]
    return lines


def _markdown(cfg: BuildConfig, model, board, rows, state: dict, verify: dict | None) -> str:
    estimate_written = (cfg.output_dir / "estimate.md").is_file()
    lines = [f"# qnnflow build report: {cfg.model_name}", ""]
    lines += [f"- model: `{cfg.model}`" + (f" + `{cfg.weights}`" if cfg.weights else "")]
    lines += [f"- board: {board.name} ({board.part}, {board.clock_mhz:g} MHz)"]
    lines += [f"- backend: {cfg.backend} ({BACKEND_TEXT[cfg.backend]})", ""]
    lines += ["## Steps", "", "| step | output | seconds |", "|---|---|---|"]
    for name, entry in state.get("steps", {}).items():
        lines.append(f"| {name} | `{entry['output']}` | {entry['seconds']:.2f} |")
    lines += ["", "## Verification", ""]
    if cfg.verify == "off":
        lines += ["**OFF (`--verify off`): no transform of this build was checked.**", ""]
    else:
        how = {
            "fast": "once per step, on a small image where every op allows it",
            "full": "every transform at full size",
        }[cfg.verify]
        lines += [f"transforms checked with `--verify {cfg.verify}` ({how})", ""]
    if verify is None or verify.get("passed") is None:
        lines.append("graph after tidy: not checked" if verify else "not run")
    else:
        status = "passed" if verify["passed"] else "FAILED"
        kind = "bit-exact" if verify.get("bit_exact") else f"tolerance {verify['tolerance']}"
        lines.append(f"graph after tidy ({status}, {kind}):")
        lines.append("")
        for key, value in verify["max_relative_error"].items():
            lines.append(f"- {key}: max relative error {value:.3g}")
    lines += ["", "## Accuracy", "", gate_summary(cfg.output_dir) or "accuracy step not run"]
    lines += ["", "## Conversion to hardware", ""] + _to_hw_lines(cfg, estimate_written)
    hw_rows = [r for r in rows if r.hardware]
    hw_macs, host_macs = sum(r.macs for r in hw_rows), sum(r.macs for r in rows if not r.hardware)
    total_params = sum(r.params for r in rows)
    lines += [
        "",
        "## Layers",
        "",
        f"{len(rows)} nodes ({len(hw_rows)} in hardware, {len(rows) - len(hw_rows)} on the "
        f"host), {total_params:,} parameters, {_mac_text(hw_macs)} per frame in hardware, "
        f"{_mac_text(host_macs)} on the host",
        "",
    ]
    lines += ["| node | op | output | params | MAC | where |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.op_type} | {'x'.join(map(str, r.out_shape))} | "
            f"{r.params:,} | {r.macs:,} | {'hardware' if r.hardware else 'host'} |"
        )
    lines += ["", "## Folding and estimates", ""]
    if estimate_written:
        lines.append((cfg.output_dir / "estimate.md").read_text())
    else:
        lines.append("fold step not run: no estimate")
    lines += ["", "## Synthesis (Yosys, estimate / synthesized (ratio))", ""]
    lines.append(synth_section(cfg.output_dir, model))
    lines += ["", "## Board budget", "", "| resource | available |", "|---|---|"]
    lines += [f"| {k} | {v:,} |" for k, v in board.resources.items()]
    lines.append(f"| DDR bandwidth (usable) | {board.ddr_bandwidth_mb_s:g} MB/s |")
    return "\n".join(lines) + "\n"


def step_report(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Write report.md and report.json: steps, verification, per-layer MACs, board budget."""
    assert model is not None
    board = load_board(cfg.board)
    rows = summarize(model)
    state = load_state(cfg.output_dir)
    verify_path = cfg.output_dir / "verify" / "verify.json"
    verify = json.loads(verify_path.read_text()) if verify_path.is_file() else None
    accuracy_path = cfg.output_dir / ACCURACY_FILE
    accuracy = json.loads(accuracy_path.read_text()) if accuracy_path.is_file() else None
    atomic_write_text(
        cfg.output_dir / "report.md", _markdown(cfg, model, board, rows, state, verify)
    )
    data = {
        "model": str(cfg.model),
        "board": board.name,
        "backend": cfg.backend,
        "steps": state.get("steps", {}),
        "verification": verify,
        "accuracy": accuracy,
        "ops": dict(Counter(r.op_type for r in rows)),
        "total_macs": sum(r.macs for r in rows),
        "hardware_macs": sum(r.macs for r in rows if r.hardware),
        "host_macs": sum(r.macs for r in rows if not r.hardware),
        "host_nodes": (read_to_hw_record(cfg.output_dir) or {}).get("host_nodes"),
        "total_params": sum(r.params for r in rows),
        "layers": [r.__dict__ for r in rows],
    }
    atomic_write_text(cfg.output_dir / "report.json", json.dumps(data, indent=2))
    return model
