"""Yosys synthesis of the trained Tinier-YOLO (hidden layers conv1..conv7, folded for the
PYNQ-Z2) and of the default model: every layer's estimate beside its synthesized LUT, FF,
BRAM36, LUTRAM and DSP, the ratios per op type and in total, the stitched accelerator's
numbers and whether they fit the XC7Z020 (with the platform shell's reserve).

Tinier-YOLO is folded as tests/backends/hls/test_trained_tinier_yolo_cpp.py folds it
(AutoFold(board), InsertWidthConverters, InsertFIFOs; conv6/conv7 stream weights from DDR);
the default model is built with `qnnflow build ... --to-step fold` as a user builds it. Then
`--resources synth`: Tinier-YOLO folded again with the per-op factors measured on both
networks (synth / estimate), its fps, and that folding synthesized too.

    .venv/bin/python benchmarks/synth_tinier_yolo.py     # ~40 min on 2 cores, cached after
    options: --jobs 2  --out build/bench_synth  --no-factors

Yosys runs out of context (`synth_xilinx -family xc7 -flatten`, see qnnflow.backends.rtl.synth);
results are cached by content in ~/.cache/qnnflow/synth, so a rerun takes seconds. Set
QNNFLOW_YOSYS_TIMEOUT (seconds per Yosys run) for the big layers. Prints markdown tables and
writes benchmarks/results/synth_tinier_yolo.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qonnx.core.modelwrapper import ModelWrapper  # noqa: E402
from qonnx.custom_op.registry import getCustomOp  # noqa: E402

from qnnflow.analysis.estimate import PLATFORM_OVERHEAD, estimate_network  # noqa: E402
from qnnflow.analysis.hardware_region import hardware_region  # noqa: E402
from qnnflow.analysis.resource_factors import RESOURCE_KINDS, measure_factors  # noqa: E402
from qnnflow.backends.rtl.network import build_rtl_network  # noqa: E402
from qnnflow.backends.rtl.synth import synthesize_layers  # noqa: E402
from qnnflow.backends.rtl.synth_report import layer_row, synth_summary  # noqa: E402
from qnnflow.boards import Board, load_board  # noqa: E402
from qnnflow.flow.fold_step import fold_model  # noqa: E402
from qnnflow.flow.synth_step import synthesize_model  # noqa: E402
from qnnflow.frontend.binparams import hidden_layers_model, load_binparams  # noqa: E402
from qnnflow.transforms.fold import AutoFold, InsertFIFOs, InsertWidthConverters  # noqa: E402
from qnnflow.transforms.fold.auto_fold import DEFAULT_CAPS  # noqa: E402

TINIER = ROOT.parent / "shared" / "data" / "tinier-yolo" / "tinier_yolo_w1a3.npz"
DEFAULT_CFG = ROOT / "data" / "models" / "tinier-yolo-mini.cfg"
RESULTS = ROOT / "benchmarks" / "results" / "synth_tinier_yolo.json"
KINDS = RESOURCE_KINDS  # LUT, FF, BRAM36, LUTRAM, DSP
BUILD_TIMEOUT_S = 1800  # the `qnnflow build --to-step fold` it runs


def fold_tinier(board: Board, factors: dict | None = None) -> ModelWrapper:
    """The trained Tinier-YOLO's hidden layers folded for `board` (as the C++ test does)."""
    model = hidden_layers_model(load_binparams(TINIER))
    for transform in (AutoFold(board, factors=factors), InsertWidthConverters(), InsertFIFOs()):
        model = model.transform(transform)
    return model


def refold_with_factors(board: Board, factors: dict) -> ModelWrapper:
    """`--resources synth`: the build's fold step (AutoFold with the factors, then the
    plumbing, refolded while the converters and FIFOs push a resource over its cap)."""
    return fold_model(hidden_layers_model(load_binparams(TINIER)), board, factors=factors)


def fold_default(out: Path) -> ModelWrapper:
    """The default model through `qnnflow build --to-step fold`, as a user runs it."""
    cmd = [str(ROOT / ".venv" / "bin" / "qnnflow"), "build", "--model", str(DEFAULT_CFG)]
    cmd += ["--board", "pynq_z2", "--out", str(out), "--to-step", "fold"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, timeout=BUILD_TIMEOUT_S)
    return ModelWrapper(str(sorted((out / DEFAULT_CFG.stem).glob("[0-9][0-9]_fold.onnx"))[-1]))


def _ratio(estimate: float, synth: float) -> float | None:
    return round(synth / estimate, 3) if estimate else None


def per_op(layers: list[dict]) -> dict[str, dict]:
    """Sums of estimate and synthesis per op type, with synth / estimate."""
    table: dict[str, dict] = {}
    for row in layers:
        entry = table.setdefault(row["op"], {"layers": 0, "estimate": {}, "synth": {}})
        entry["layers"] += 1
        for k in KINDS:
            entry["estimate"][k] = round(entry["estimate"].get(k, 0.0) + row["estimate"][k], 2)
            entry["synth"][k] = round(entry["synth"].get(k, 0.0) + row["synth"][k], 2)
    for entry in table.values():
        entry["ratio"] = {k: _ratio(entry["estimate"][k], entry["synth"][k]) for k in KINDS}
    return dict(sorted(table.items()))


def fit(summary: dict, board: Board) -> dict:
    """The stitched top (else the layers' sum) plus the platform shell against the part, and
    against the caps AutoFold folds to; over: by how much each resource is over the part."""
    used = (summary["top"] or {}).get("synth") or summary["totals"]["synth"]
    rows = {}
    for k in KINDS:
        need = round(used.get(k, 0.0) + PLATFORM_OVERHEAD[k], 1)
        have = board.resources[k]
        rows[k] = {
            "used_with_shell": need,
            "available": have,
            "fraction": round(need / have, 4),
            "cap": DEFAULT_CAPS[k],
            "over_part_by": round(max(0.0, need - have), 1),
        }
    return {
        "resources": rows,
        "fits_part": all(r["over_part_by"] == 0 for r in rows.values()),
        "within_caps": all(r["fraction"] <= r["cap"] for r in rows.values()),
    }


def layers_only(model: ModelWrapper, board: Board, jobs: int) -> dict:
    """synth.json's content without the stitched top (the layers out of context only)."""
    net = build_rtl_network(model)
    results = synthesize_layers(net.layers, jobs=jobs)
    rows, failed = [], []
    for node, result in zip(hardware_region(model), results, strict=True):
        if isinstance(result, Exception):
            failed.append(
                {"layer": node.name, "op": node.op_type, "why": f"Yosys failed: {result}"}
            )
        else:
            rows.append(layer_row(node.name, node.op_type, getCustomOp(node).resources(), result))
    return synth_summary(rows, board, not_synthesized=failed)


def network_result(
    name: str, model: ModelWrapper, board: Board, jobs: int, top: bool = True
) -> dict:
    began = time.monotonic()
    summary = synthesize_model(model, board, jobs) if top else layers_only(model, board, jobs)
    estimate = estimate_network(model, board)
    return {
        "network": name,
        "fps_estimate": round(estimate.fps, 2),
        "bottleneck": estimate.bottleneck.name,
        "synth_seconds": round(time.monotonic() - began, 1),
        "layers": [
            {k: row[k] for k in ("layer", "op", "estimate", "synth", "ratio", "seconds")}
            for row in summary["layers"]
        ],
        "not_synthesized": summary["not_synthesized"],
        "per_op": per_op(summary["layers"]),
        "totals": summary["totals"],
        "top": summary["top"],
        "fit": fit(summary, board),
    }


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(result: dict) -> str:
    """Per op type and total: estimate / Yosys (synth / estimate), then the fit."""
    head = "| op | layers | " + " | ".join(f"{k} est / Yosys (x)" for k in KINDS) + " |"
    lines = [f"### {result['network']} ({result['fps_estimate']:.1f} fps estimated)", "", head]
    lines.append("|" + "---|" * (len(KINDS) + 2))
    rows = [(op, e["layers"], e) for op, e in result["per_op"].items()]
    rows.append(("**total**", len(result["layers"]), result["totals"]))
    if result["top"]:
        rows.append(
            ("**stitched top**", "", {**result["top"], "estimate": result["totals"]["estimate"]})
        )
    for op, count, e in rows:
        cells = [
            f"{e['estimate'][k]:,.0f} / {e['synth'][k]:,.0f} ({_cell(e['ratio'][k])})"
            for k in KINDS
        ]
        lines.append(f"| {op} | {count} | " + " | ".join(cells) + " |")
    lines += ["", "| resource | with shell | XC7Z020 | used | over by |", "|---|---|---|---|---|"]
    for k, r in result["fit"]["resources"].items():
        lines.append(
            f"| {k} | {r['used_with_shell']:,.0f} | {r['available']:,} | {r['fraction']:.1%} | "
            f"{r['over_part_by']:,.0f} |"
        )
    lines.append(f"\nfits the part: {result['fit']['fits_part']}")
    for skipped in result["not_synthesized"]:
        lines.append(f"- not synthesized: {skipped['layer']} ({skipped['op']}): {skipped['why']}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench_synth")
    parser.add_argument("--no-factors", action="store_true", help="skip the --resources synth fold")
    parser.add_argument(
        "--no-refold-top", action="store_true", help="refolded design: its layers only"
    )
    args = parser.parse_args()
    board = load_board("pynq_z2")
    results = {
        "board": board.name,
        "tool": "yosys synth_xilinx -family xc7 (out of context)",
        "platform_shell": PLATFORM_OVERHEAD,
        "networks": [
            network_result("tinier-yolo-mini (default)", fold_default(args.out), board, args.jobs),
            network_result(
                "Tinier-YOLO (trained, conv1..conv7)", fold_tinier(board), board, args.jobs
            ),
        ],
    }
    if not args.no_factors:
        rows = [row for net in results["networks"] for row in net["layers"]]
        factors = measure_factors(rows)
        results["factors"] = factors
        refolded = refold_with_factors(board, factors)
        name = "Tinier-YOLO, --resources synth"
        result = network_result(name, refolded, board, args.jobs, top=not args.no_refold_top)
        result["fps_with_factors"] = round(estimate_network(refolded, board, factors).fps, 2)
        results["networks"].append(result)
    for net in results["networks"]:
        print(markdown(net))
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
