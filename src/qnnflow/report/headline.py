"""The report's headline: the few numbers a user opens it for (rate, bottleneck, resources
against the board, bandwidth, accuracy, simulation verdicts, synthesis, the build's state),
as rows for markdown and HTML and as a record for report.json, read from the steps' files."""

from __future__ import annotations

from dataclasses import dataclass

from qnnflow.analysis.estimate import RESOURCE_KINDS
from qnnflow.report.data import BuildData
from qnnflow.report.status import BuildStatus

BACKEND_TEXT = {
    "hls": "Vitis HLS C++ in hls/",
    "rtl": "SystemVerilog in rtl/, packaged by Vivado without Vitis HLS",
}
FULL = 0.9  # a resource above this share of the board is flagged
VERIFY_TEXT = {
    "fast": "once per step, on a small image where every op allows it",
    "full": "every transform at full size",
}


@dataclass(frozen=True)
class Row:
    """One headline line. `level` colours it (ok, warn, bad, info); `machine` marks values
    measured or located on the build machine (timings, paths): the deploy copy shows
    `portable` instead, or drops the row when that is None."""

    key: str
    label: str
    value: str
    level: str = "info"
    machine: bool = False
    portable: str | None = None
    card: str | None = None  # the value in a few characters, for the HTML's summary cards


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.0f}%"


def resource_rows(estimate: dict) -> list[Row]:
    """LUT/FF/BRAM36/DSP/LUTRAM used (with the platform shell) against the board."""
    rows = []
    for kind in ("LUT", "FF", "BRAM36", "DSP", "LUTRAM"):
        used, budget = estimate["totals_with_platform"][kind], estimate["budget"][kind]
        share = used / budget if budget else 0.0
        level = "bad" if share > 1 else "warn" if share > FULL else "ok"
        text = f"{used:,.0f} / {budget:,} ({_pct(share)})"
        rows.append(Row(kind, kind, text, level, card=_pct(share) if kind == "LUT" else None))
    return rows


def _rate_rows(data: BuildData) -> list[Row]:
    est = data.estimate
    if est is None:
        return [Row("fps", "fps", "not estimated: the fold step has not run", "warn")]
    layer = next((r for r in est["layers"] if r["name"] == est["bottleneck"]), None)
    cycles = f", {layer['cycles']:,} cycles" if layer else ""
    op = f"{layer['op_type']}" if layer else "?"
    rows = [
        Row(
            "fps",
            "fps (accelerator)",
            f"{est['fps']:,.1f} at {est['clock_mhz']:g} MHz, latency <= "
            f"{est['latency_ms_upper_bound']:g} ms",
            "ok",
            card=f"{est['fps']:,.0f}",
        )
    ]
    e2e = est.get("end_to_end")
    if e2e is not None:
        if e2e.get("fps") is None:
            rows.append(Row("end_to_end", "fps (end to end)", f"not estimated: {e2e['reason']}"))
        else:
            text = f"{e2e['fps']:,.1f}, set by the {e2e['slowest_stage']} stage (host times"
            text += f" timed here x{e2e['factor']:.1f} for the board)"
            card = f"{e2e['fps']:,.1f}"
            rows.append(Row("end_to_end", "fps (end to end)", text, machine=True, card=card))
    rows.append(Row("bottleneck", "bottleneck", f"{est['bottleneck']} ({op}{cycles})"))
    rows += resource_rows(est)
    ddr, usable = est["ddr_mb_per_s"], data.board.ddr_bandwidth_mb_s
    level = "bad" if ddr > usable else "ok"
    rows.append(Row("ddr", "DDR bandwidth", f"{ddr:,.1f} / {usable:,.0f} MB/s", level))
    return rows


def verify_mode(data: BuildData) -> str | None:
    """How the build's transforms were checked (--verify; build_state.json, else verify.json)."""
    return data.state.get("verify") or (data.verify or {}).get("mode")


def _verify_row(data: BuildData) -> Row | None:
    mode = verify_mode(data)
    if mode is None:
        return None
    if mode == "off":
        text = "OFF (--verify off): no transform of this build was checked"
        return Row("verify", "transforms checked", text, "bad", card="off")
    return Row("verify", "transforms checked", f"--verify {mode} ({VERIFY_TEXT[mode]})", "ok")


def _accuracy_row(data: BuildData) -> Row:
    acc = data.accuracy
    if acc is None:
        return Row("accuracy", "accuracy", "not run: the accuracy step has not run", "warn")
    if acc.get("gate") in (None, "not run"):
        text = f"not run: {acc.get('reason', 'unknown reason')}"
        if acc.get("quant"):
            text += f" (quantized mAP@0.5 {100 * acc['quant']['map50']:.2f})"
        return Row("accuracy", "accuracy", text, "warn", card="not run")
    ref, quant = acc["float"]["map50"], acc["quant"]["map50"]
    text = (
        f"mAP@0.5 {100 * ref:.2f} float -> {100 * quant:.2f} quantized on "
        f"{acc['quant']['images']} images: drop {acc['drop_points']:.2f} points, gate "
        f"{acc['gate']} (max {acc['max_drop_points']:g})"
    )
    level = "ok" if acc["gate"] == "passed" else "bad"
    return Row("accuracy", "accuracy", text, level, card=f"-{acc['drop_points']:.1f} mAP")


def _sim_row(record: dict | None, key: str, label: str, cycles_key: str) -> Row | None:
    """A simulation's verdict and its slowest layer's cycles against the estimate's."""
    if record is None:
        return None
    if not record["bit_exact"]:
        text = f"MISMATCH: {record['first_mismatch']}"
        return Row(key, label, text, "bad", card="mismatch")
    layers = record["layers"]
    if not layers:
        return Row(key, label, "bit-exact (no hardware layer)", "ok", card="bit-exact")
    sim = max(r[cycles_key] for r in layers)
    est = max(r["cycles_estimate"] for r in layers)
    exact = sum(r[cycles_key] == r["cycles_estimate"] for r in layers)
    text = (
        f"bit-exact vs numpy; slowest layer {sim:,} cycles simulated vs {est:,} estimated "
        f"({sim / est:.2f}x); {exact} of {len(layers)} layers exactly as estimated"
    )
    return Row(key, label, text, "ok", card="bit-exact")


def _synth_row(data: BuildData) -> Row | None:
    synth = data.synth
    if synth is None:
        return None
    measured = synth["top"]["synth"] if synth.get("top") else synth["totals"]["synth"]
    where = "stitched top" if synth.get("top") else "sum of layers"
    parts = [
        f"{k} {measured.get(k, 0):,.0f} (est. {synth['totals']['estimate'][k]:,.0f})"
        for k in RESOURCE_KINDS
    ]
    return Row("synth", "synthesis (Yosys)", f"{where}: " + ", ".join(parts))


def headline_rows(data: BuildData, status: BuildStatus) -> list[Row]:
    """The headline, top to bottom."""
    board, ctx = data.board, data.ctx
    level = {"done": "ok", "waiting": "warn", "stopped": "info"}[status.kind]
    rows = [
        Row("model", "model", ctx.model_name),
        Row("board", "board", f"{board.name} ({board.part}, {board.clock_mhz:g} MHz)"),
        Row("backend", "backend", f"{ctx.backend} ({BACKEND_TEXT[ctx.backend]})"),
        Row("state", "build", status.message, level, True, status.short, card=status.kind),
    ]
    rows += _rate_rows(data)
    rows.append(_accuracy_row(data))
    sims = (
        _verify_row(data),
        _sim_row(data.cppsim, "cppsim", "C++ simulation (g++)", "cycles_sim"),
        _sim_row(data.rtlsim, "rtlsim", "RTL simulation (Verilator)", "cycles_rtl"),
        _synth_row(data),
    )
    return rows + [r for r in sims if r is not None]


def headline_record(data: BuildData, status: BuildStatus) -> dict:
    """report.json's headline: the same numbers as the rows, unformatted."""
    est, acc = data.estimate, data.accuracy
    record: dict = {"model": data.ctx.model_name, "board": data.board.name}
    record |= {"backend": data.ctx.backend, "state": status.to_dict()}
    record["verify"] = verify_mode(data)
    if est is not None:
        e2e = est.get("end_to_end") or {}
        record |= {
            "fps": est["fps"],
            "end_to_end_fps": e2e.get("fps"),
            "end_to_end_stage": e2e.get("slowest_stage"),
            "bottleneck": est["bottleneck"],
            "resources": {k: est["totals_with_platform"][k] for k in RESOURCE_KINDS},
            "budget": dict(est["budget"]),
            "ddr_mb_per_s": est["ddr_mb_per_s"],
        }
    if acc is not None:
        record["accuracy"] = {
            "gate": acc.get("gate"),
            "reason": acc.get("reason"),
            "float_map50": (acc.get("float") or {}).get("map50"),
            "quant_map50": (acc.get("quant") or {}).get("map50"),
            "drop_points": acc.get("drop_points"),
        }
    for key, sim in (("cppsim", data.cppsim), ("rtlsim", data.rtlsim)):
        if sim is not None:
            record[key] = {"bit_exact": sim["bit_exact"], "first_mismatch": sim["first_mismatch"]}
    return record
