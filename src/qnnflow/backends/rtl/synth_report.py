"""synth.json: every synthesized layer's estimate beside its Yosys numbers and their ratios,
the totals, the board budget both use, and the per-op factors `--resources synth` applies;
plus the Markdown table the report step shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from qnnflow.analysis.estimate import PLATFORM_OVERHEAD
from qnnflow.analysis.resource_factors import RESOURCE_KINDS, measure_factors
from qnnflow.backends.rtl.synth import SynthResult
from qnnflow.boards import Board


def _ratios(estimate: Mapping[str, float], synth: Mapping[str, float]) -> dict:
    """synth / estimate per resource; None where the estimate is 0."""
    return {
        k: (round(synth.get(k, 0.0) / estimate[k], 3) if estimate.get(k) else None)
        for k in RESOURCE_KINDS
    }


def layer_row(layer: str, op_type: str, estimate: Mapping[str, float], result: SynthResult) -> dict:
    """One layer (node `layer`) of synth.json."""
    est = {k: round(float(estimate.get(k, 0.0)), 2) for k in RESOURCE_KINDS}
    return {
        "layer": layer,
        "module": result.name,
        "op": op_type,
        "estimate": est,
        "synth": result.resources,
        "ratio": _ratios(est, result.resources),
        "seconds": round(result.seconds, 2),
        "cached": result.cached,
    }


def _total(rows: Sequence[Mapping], key: str) -> dict[str, float]:
    kinds = (*RESOURCE_KINDS, "CARRY4") if key == "synth" else RESOURCE_KINDS
    return {k: round(sum(float(r[key].get(k, 0.0)) for r in rows), 2) for k in kinds}


def synth_summary(
    rows: Sequence[Mapping],
    board: Board,
    *,
    top: SynthResult | None = None,
    not_synthesized: Sequence[Mapping] = (),
) -> dict:
    """The content of synth.json. The budget adds the platform shell (PLATFORM_OVERHEAD, as
    the estimate does) to the layers' sums, or to the stitched top when it was synthesized."""
    estimate, synth = _total(rows, "estimate"), _total(rows, "synth")
    used = top.resources if top is not None else synth
    budget = {
        k: {
            "available": board.resources[k],
            "estimate": round(estimate[k] + PLATFORM_OVERHEAD[k], 2),
            "synth": round(used.get(k, 0.0) + PLATFORM_OVERHEAD[k], 2),
            "synth_fraction": round(
                (used.get(k, 0.0) + PLATFORM_OVERHEAD[k]) / board.resources[k], 4
            ),
        }
        for k in RESOURCE_KINDS
    }
    return {
        "board": board.name,
        "tool": "yosys synth_xilinx -family xc7 (out of context)",
        "layers": list(rows),
        "not_synthesized": list(not_synthesized),
        "totals": {"estimate": estimate, "synth": synth, "ratio": _ratios(estimate, synth)},
        "top": None
        if top is None
        else {
            "name": top.name,
            "synth": top.resources,
            "ratio": _ratios(estimate, top.resources),
            "seconds": round(top.seconds, 2),
        },
        "budget": budget,
        "factors": measure_factors(rows),
    }


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _amount(value: float) -> str:
    return f"{value:,.1f}" if value % 1 else f"{value:,.0f}"


def synth_markdown(summary: Mapping) -> str:
    """Per layer estimate / Yosys / ratio for each resource, the totals and budget use."""
    kinds = RESOURCE_KINDS
    head = "| layer | op | " + " | ".join(f"{k} est / synth (x)" for k in kinds) + " |"
    lines = [head, "|" + "---|" * (len(kinds) + 2)]
    rows = [*summary["layers"], {"layer": "**total**", "op": "", **summary["totals"]}]
    if summary.get("top"):
        top = summary["top"]
        rows.append(
            {
                "layer": f"**stitched {top['name']}**",
                "op": "",
                **top,
                "estimate": summary["totals"]["estimate"],
            }
        )
    for row in rows:
        cells = [
            f"{_amount(row['estimate'][k])} / {_amount(row['synth'][k])} ({_cell(row['ratio'][k])})"
            for k in kinds
        ]
        lines.append(f"| {row['layer']} | {row['op']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Per-op factors (synthesized / estimated; `--resources synth` folds with them):",
        "",
    ]
    lines += ["| op | " + " | ".join(kinds) + " |", "|" + "---|" * (len(kinds) + 1)]
    for op, factors in summary["factors"].items():
        lines.append(f"| {op} | " + " | ".join(_cell(factors.get(k)) for k in kinds) + " |")
    lines += [
        "",
        "| resource | available | estimate | synth | synth used |",
        "|---|---|---|---|---|",
    ]
    for k, b in summary["budget"].items():
        lines.append(
            f"| {k} | {b['available']:,} | {_amount(b['estimate'])} | {_amount(b['synth'])} | "
            f"{b['synth_fraction']:.1%} |"
        )
    lines.append("")
    lines.append(
        "Budget rows: the synthesized layers (or the stitched top) plus the platform shell; "
        "LUT counts logic and memory LUTs."
    )
    for skipped in summary["not_synthesized"]:
        lines.append(f"- not synthesized: {skipped['layer']} ({skipped['op']}): {skipped['why']}")
    return "\n".join(lines) + "\n"
