"""Standard Tiny-YOLOs whole in fabric: build each to a deploy package and tabulate the rates.

For Darknet's own yolov2-tiny.cfg (416x416) and yolov3-tiny.cfg (leaky ReLU, as Darknet ships
them; seeded random weights, since only the structure matters for rates and resources) and,
where ../shared holds it, the trained Tinier-YOLO with conv0..conv8 in fabric (`--first-last
fabric`): `qnnflow build --model X --board pynq_z2 --scheme w1a3 --to-step package`, exactly
as a user runs it, then one table row per network from the build's own estimate.json and
cppsim.json:
accelerator fps, end-to-end fps (the pipelined host stages scaled to the board's Cortex-A9),
LUT, FF, BRAM36, DSP (platform included), DDR MB/s, and whether the C++ simulation was
bit-exact. Calibration images are the default model's (data/models/tinier-yolo-mini-calib).
YOLOv3-tiny is built at 192x192: at 224 and above its route's join FIFO (several frames of
layer 8's output, waiting for the branch through the frame-buffered layers 10-13) and its
banked frame buffers do not fit the XC7Z020's block RAM beside the weights (the fold step
refuses, naming BRAM; 224 fitted before the banked buffers' estimate was fitted to Yosys).

    .venv/bin/python benchmarks/yolo_fabric.py                 # ~25 min on 2 cores
    options: --size N (every Darknet cfg)  --out build/bench_yolo_fabric  --only yolov2-tiny,...

Prints a markdown table and writes benchmarks/results/yolo_fabric.json (with --only, the
networks run replace their rows; the others keep their last measured ones).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CFGS = ROOT / "tests" / "frontend" / "darknet" / "cfgs"
CALIB = ROOT / "data" / "models" / "tinier-yolo-mini-calib"
TINIER = ROOT.parent / "shared" / "data" / "tinier-yolo" / "tinier_yolo_w1a3.npz"
RESULTS = ROOT / "benchmarks" / "results" / "yolo_fabric.json"
NETWORKS = ("yolov2-tiny", "yolov3-tiny", "tinier-yolo", "tinier-yolo-30")
# the trained Tinier-YOLO at the highest rate that fits, and at the cheapest folding that
# reaches 30 fps end to end (--target-scope end-to-end: refused if the host cannot)
TINIER_ARGS = {
    "tinier-yolo": ["--first-last", "fabric"],
    "tinier-yolo-30": [
        "--first-last",
        "fabric",
        "--target-fps",
        "30",
        "--target-scope",
        "end-to-end",
    ],
}
SIZES = {"yolov2-tiny": 416, "yolov3-tiny": 192}  # input sizes that fit the PYNQ-Z2
BUILD_TIMEOUT_S = 3 * 3600


def _darknet_model(name: str, size: int, folder: Path) -> Path:
    """Darknet's cfg at `size` with seeded random weights and the calibration images beside."""
    sys.path.insert(0, str(ROOT / "src"))
    from qnnflow.frontend.darknet import load_network, write_weights
    from qnnflow.frontend.darknet.random_init import random_weights

    text = (CFGS / f"{name}.cfg").read_text()
    text = re.sub(r"(?m)^width=\d+", f"width={size}", text)
    text = re.sub(r"(?m)^height=\d+", f"height={size}", text)
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / f"{name}.cfg"
    cfg.write_text(text)
    network = load_network(cfg)
    write_weights(cfg.with_suffix(".weights"), random_weights(network, seed=0), network)
    calib = folder / f"{name}-calib"
    if not calib.exists():
        shutil.copytree(CALIB, calib)
    return cfg


def _build(model: Path, out: Path, extra: list[str]) -> float:
    cmd = [str(ROOT / ".venv" / "bin" / "qnnflow"), "build", "--model", str(model)]
    cmd += ["--board", "pynq_z2", "--out", str(out), "--to-step", "package", *extra]
    start = time.monotonic()
    subprocess.run(cmd, check=True, timeout=BUILD_TIMEOUT_S)
    return time.monotonic() - start


def _row(name: str, size: int, folder: Path, seconds: float) -> dict:
    estimate = json.loads((folder / "estimate.json").read_text())
    cppsim = json.loads((folder / "cppsim" / "cppsim.json").read_text())
    totals = estimate["totals_with_platform"]
    end_to_end = estimate.get("end_to_end", {})
    host = json.loads((folder / "to_hw.json").read_text())["host_nodes"]
    return {
        "network": name,
        "input": f"{size}x{size}",
        "fps": estimate["fps"],
        "end_to_end_fps": end_to_end.get("fps"),
        "slowest_stage": end_to_end.get("slowest_stage"),
        "factor": end_to_end.get("factor"),
        "host_parts_board_ms": next(
            (s["parts"] for s in end_to_end.get("stages", []) if s["name"] == "host"), {}
        ),
        "LUT": totals["LUT"],
        "FF": totals["FF"],
        "BRAM36": totals["BRAM36"],
        "DSP": totals["DSP"],
        "LUT_pct": 100 * estimate["utilization"]["LUT"],
        "ddr_mb_per_s": estimate["ddr_mb_per_s"],
        "bit_exact": cppsim["bit_exact"],
        "host_convs": sum(1 for n in host if n["op_type"] in ("Conv", "Gemm", "MatMul")),
        "build_s": round(seconds),
    }


def _table(rows: list[dict]) -> str:
    head = (
        "| network | input | fps (accelerator) | fps (end to end) | LUT | FF | BRAM36 | DSP "
        "| DDR MB/s | convs on host | cppsim bit-exact |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        e2e = "-" if r["end_to_end_fps"] is None else f"{r['end_to_end_fps']:.1f}"
        lines.append(
            f"| {r['network']} | {r['input']} | {r['fps']:.1f} | {e2e} "
            f"| {r['LUT']:,.0f} ({r['LUT_pct']:.0f}%) "
            f"| {r['FF']:,.0f} | {r['BRAM36']:g} | {r['DSP']:g} | {r['ddr_mb_per_s']:.0f} "
            f"| {r['host_convs']} | {'yes' if r['bit_exact'] else 'NO'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, help="input size of every Darknet cfg")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench_yolo_fabric")
    parser.add_argument("--only", default=",".join(NETWORKS))
    args = parser.parse_args()
    rows = []
    for name in args.only.split(","):
        if name in TINIER_ARGS:
            if not TINIER.is_file():
                print(f"skipping {name}: {TINIER} not found")
                continue
            model, extra, size = TINIER, TINIER_ARGS[name], 416
        else:
            size = args.size or SIZES[name]
            model = _darknet_model(name, size, args.out / "models")
            extra = ["--scheme", "w1a3"]
        seconds = _build(model, args.out / name, extra)
        rows.append(_row(name, size, args.out / name / model.stem, seconds))
        print(_table(rows[-1:]), flush=True)
    print(_table(rows))
    if args.size is None:
        RESULTS.write_text(json.dumps(_merged(rows), indent=2) + "\n")


def _merged(rows: list[dict]) -> list[dict]:
    """The results file's rows with this run's rows in place of the same networks' (a run of
    `--only` some networks keeps the others' last measured rows), in NETWORKS order."""
    kept = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    by_name = {r["network"]: r for r in kept} | {r["network"]: r for r in rows}
    return [by_name[name] for name in NETWORKS if name in by_name]


if __name__ == "__main__":
    main()
