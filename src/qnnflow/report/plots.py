"""The report's plots as SVG text (matplotlib, no pyplot: no GUI backend, no global figure
state). Each plot function returns None when its data is absent, so no axes is ever empty.
Output is deterministic: a fixed SVG hash salt, glyphs as paths, no date in the metadata."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from qnnflow.analysis.estimate import RESOURCE_KINDS
from qnnflow.report.data import BuildData

BLUE, RED, GREY, GREEN, ORANGE = "#4878a8", "#d1495b", "#9aa5b1", "#66a182", "#edae49"
STYLE = {
    "svg.hashsalt": "qnnflow",
    "svg.fonttype": "path",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
}
MAX_NAMED = 5  # the resource plot names this many layers; the others are summed per op
SKIP_CYCLES = {"StreamingFIFO"}  # a FIFO runs at its stream's rate: it repeats its producer


@dataclass(frozen=True)
class Plot:
    name: str  # file stem: report/<name>.svg
    title: str
    svg: str


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def _figure(rows: int, width: float = 7.5) -> Figure:
    """A figure tall enough for `rows` horizontal bars."""
    return Figure(figsize=(width, max(2.6, 0.6 + 0.17 * rows)))


def cycles_plot(data: BuildData) -> Figure | None:
    """Cycles per frame of each hardware layer; the bottleneck in red; the cycle budget of
    the target rate (or of the rate the folding reached) as a line."""
    est = data.estimate
    if est is None or not est["layers"]:
        return None
    layers = [r for r in est["layers"] if r["op_type"] not in SKIP_CYCLES]
    fig = _figure(len(layers))
    ax = fig.subplots()
    names = [r["name"] for r in layers][::-1]
    cycles = [r["cycles"] for r in layers][::-1]
    colors = [RED if n == est["bottleneck"] else BLUE for n in names]
    bars = ax.barh(names, cycles, color=colors, height=0.7)
    if est["bottleneck"] in names:
        bars[names.index(est["bottleneck"])].set_gid("bottleneck")  # findable in the SVG
    budget = data.folding.get("cycles_budget") or max(cycles)
    target = data.folding.get("target_fps")
    label = (
        f"target {target:g} fps: {budget:,} cycles"
        if target
        else f"{est['fps']:,.1f} fps: {budget:,} cycles"
    )
    ax.axvline(budget, color=ORANGE, linestyle="--", linewidth=1.5, gid="cycle-budget")
    ax.set_xlabel(f"cycles per frame at {est['clock_mhz']:g} MHz (FIFOs omitted); dashed: {label}")
    ax.set_title(f"Cycles per layer (bottleneck {est['bottleneck']})")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.tick_params(axis="y", labelsize=8)
    ax.margins(y=0.01)
    return fig


def resources_plot(data: BuildData) -> Figure | None:
    """Each resource's use as a share of the board, stacked: the largest layers by name,
    the other layers summed per op type, then the platform shell; the budget at 100%."""
    est = data.estimate
    if est is None or not est["layers"]:
        return None
    budget = est["budget"]
    kinds = [k for k in ("LUT", "FF", "BRAM36", "DSP", "LUTRAM") if budget.get(k)]

    def share(res: dict, kind: str) -> float:
        return 100.0 * res.get(kind, 0.0) / budget[kind]

    layers = sorted(est["layers"], key=lambda r: -max(share(r["resources"], k) for k in kinds))
    named, rest = layers[:MAX_NAMED], layers[MAX_NAMED:]
    stacks = [(r["name"], [share(r["resources"], k) for k in kinds]) for r in named]
    for op in sorted({r["op_type"] for r in rest}):
        group = [r for r in rest if r["op_type"] == op]
        values = [sum(share(r["resources"], k) for r in group) for k in kinds]
        stacks.append((f"other {op} ({len(group)})", values))
    layer_sum = {k: sum(r["resources"].get(k, 0.0) for r in est["layers"]) for k in kinds}
    shell = [share({k: est["totals_with_platform"][k] - layer_sum[k]}, k) for k in kinds]
    stacks.append(("platform shell", shell))
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    bottom = [0.0] * len(kinds)
    palette = matplotlib.colormaps["tab20"].colors
    for i, (label, values) in enumerate(stacks):
        color = GREY if label == "platform shell" else palette[i % len(palette)]
        ax.bar(kinds, values, bottom=bottom, label=label, color=color, width=0.6)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    budget_label = f"{data.board.name} budget"
    ax.axhline(100, color=RED, linestyle="--", linewidth=1.5, label=budget_label, gid="budget")
    for x, total in enumerate(bottom):
        ax.text(x, total + 2, f"{total:.0f}%", ha="center", fontsize=8)
    ax.set_ylabel("% of the board")
    ax.set_ylim(0, max(110.0, max(bottom) + 10))
    ax.set_title("Resources per layer against the board")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    return fig


def sim_cycles_plot(data: BuildData) -> Figure | None:
    """Simulated cycles per layer (g++ and/or Verilator) against the estimate, log-log,
    with the line where they are equal."""
    series = []
    if data.cppsim and data.cppsim.get("layers"):
        series.append(("C++ (g++)", BLUE, "o", data.cppsim["layers"], "cycles_sim"))
    if data.rtlsim and data.rtlsim.get("layers"):
        series.append(("RTL (Verilator)", GREEN, "s", data.rtlsim["layers"], "cycles_rtl"))
    if not series:
        return None
    fig = Figure(figsize=(7.5, 4.4))
    ax = fig.subplots()
    low, high = float("inf"), 0.0
    for label, color, marker, layers, key in series:
        x = [max(1, r["cycles_estimate"]) for r in layers]
        y = [max(1, r[key]) for r in layers]
        low, high = min(low, *x, *y), max(high, *x, *y)
        count = f"{len(layers)} layer" + ("s" if len(layers) != 1 else "")
        ax.scatter(x, y, label=f"{label}, {count}", color=color, marker=marker, s=18)
    ax.plot([low, high], [low, high], color=GREY, linewidth=1, label="simulated = estimated")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("estimated cycles per frame")
    ax.set_ylabel("simulated cycles per frame")
    ax.set_title("Estimate vs simulation, per layer")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def synth_plot(data: BuildData) -> Figure | None:
    """Estimated against Yosys-synthesized resources, summed over the layers."""
    if data.synth is None:
        return None
    totals = data.synth["totals"]
    kinds = list(RESOURCE_KINDS)
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    xs = range(len(kinds))
    est = [totals["estimate"][k] for k in kinds]
    syn = [totals["synth"].get(k, 0.0) for k in kinds]
    ax.bar([x - 0.2 for x in xs], est, width=0.4, color=BLUE, label="estimate")
    ax.bar([x + 0.2 for x in xs], syn, width=0.4, color=GREEN, label="Yosys")
    ax.set_xticks(list(xs), kinds)
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylabel("count (layers summed)")
    ax.set_title("Estimate vs Yosys synthesis")
    ax.legend()
    return fig


def folding_plot(data: BuildData) -> Figure | None:
    """The parallelism each layer was folded to: PE x SIMD (labelled), layers with either."""
    est = data.estimate
    rows = [r for r in (est or {}).get("layers", []) if {"PE", "SIMD"} & set(r["folding"])]
    if not rows:
        return None
    fig = _figure(len(rows))
    ax = fig.subplots()
    rows = rows[::-1]
    pe = [int(r["folding"].get("PE", 1)) for r in rows]
    simd = [int(r["folding"].get("SIMD", 1)) for r in rows]
    names = [r["name"] for r in rows]
    colors = [RED if r["op_type"] == "MatrixVectorUnit" else BLUE for r in rows]
    ax.barh(names, [p * s for p, s in zip(pe, simd, strict=True)], color=colors, height=0.7)
    for i, (p, s) in enumerate(zip(pe, simd, strict=True)):
        ax.text(p * s, i, f" {p}x{s}", va="center", fontsize=8)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("PE x SIMD (elements per cycle; matrix-vector units in red)")
    ax.set_title("Folding per layer")
    ax.tick_params(axis="y", labelsize=8)
    ax.margins(y=0.01, x=0.12)
    return fig


def clipping_plot(data: BuildData) -> Figure | None:
    """Per quantized activation, the share of calibration values its range clipped."""
    tensors = [t for t in (data.quantize or {}).get("tensors", []) if "clipped_fraction" in t]
    if not tensors:
        return None
    fig = _figure(len(tensors))
    ax = fig.subplots()
    tensors = tensors[::-1]
    values = [100.0 * t["clipped_fraction"] for t in tensors]
    ax.barh([f"{t['tensor']} ({t['bits']} bit)" for t in tensors], values, color=BLUE)
    for i, value in enumerate(values):
        ax.text(value, i, f" {value:.3g}%", va="center", fontsize=8)
    method = data.quantize.get("method", "?")
    ax.set_xlabel(f"% of calibration values clipped ({method} calibration)")
    ax.set_title("Quantization: clipped fraction per activation")
    ax.margins(x=0.15)
    return fig


PLOTS: list[tuple[str, str, Callable[[BuildData], Figure | None]]] = [
    ("cycles", "Cycles per layer", cycles_plot),
    ("resources", "Resources against the board", resources_plot),
    ("folding", "Folding (PE x SIMD)", folding_plot),
    ("sim_cycles", "Estimate vs simulated cycles", sim_cycles_plot),
    ("synth", "Estimate vs Yosys", synth_plot),
    ("clipping", "Quantization clipping", clipping_plot),
]


def render_plots(data: BuildData) -> list[Plot]:
    """Every plot the build's data supports, in the report's order."""
    plots = []
    with matplotlib.rc_context(STYLE):
        for name, title, make in PLOTS:
            fig = make(data)
            if fig is not None:
                plots.append(Plot(name, title, _svg(fig)))
    return plots
