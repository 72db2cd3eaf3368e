"""RTL simulation speed: the stitched SystemVerilog core under Verilator vs the C++ (cppsim)
simulation of the same folded graph, measured in the same run on the same two frames.

For the default model (tinier-yolo-mini at 64x64, folded by the project's flow as the driver
tests fold it) and, where ../shared holds it, the trained Tinier-YOLO's hidden layers folded
for the PYNQ-Z2 (conv6/conv7 streaming weights from DDR): the cold build seconds of each
simulator (an empty cache, so Verilator's runtime and the design are both compiled), the
stitched core's simulated cycles per frame vs the slowest layer's cycles() (the folded
graph's FIFOs are depth 2 by the fold step's lag rule, so the core runs slower than its
slowest layer), the wall seconds per frame of each simulator and their ratio, and whether
the two agree word for word.

    .venv/bin/python benchmarks/rtlsim_speed.py         # ~5 min on 2 cores
    options: --only default,tinier-yolo

Prints a markdown table and writes benchmarks/results/rtlsim_speed.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from qonnx.custom_op.registry import getCustomOp

from qnnflow.analysis.hardware_region import hardware_region
from qnnflow.backends.hls.network import build_network_code
from qnnflow.backends.hls.network_sim import simulate_network
from qnnflow.backends.rtl.layer_sim import build_design
from qnnflow.backends.rtl.network import build_rtl_network
from qnnflow.backends.rtl.network_sim import (
    core_design,
    reference_tensors,
    run_core,
    tensor_stream,
)
from qnnflow.verify.inputs import seeded_input

ROOT = Path(__file__).resolve().parents[1]
TINIER = ROOT.parent / "shared" / "data" / "tinier-yolo"
RESULTS = ROOT / "benchmarks" / "results" / "rtlsim_speed.json"
NETWORKS = ("default", "tinier-yolo")
FRAMES = 2  # the steady-state interval needs two


def _default_model(folder: Path):
    sys.path.insert(0, str(ROOT))
    from tests.driver.models import build_folded

    return build_folded(folder), None


def _tinier_model():
    """Folded and fed as the golden tests do (tests/tinier_golden.py)."""
    sys.path.insert(0, str(ROOT))
    from tests.tinier_golden import folded_hidden_layers, golden_input

    return folded_hidden_layers(TINIER), golden_input(TINIER)


def load_network(name: str, folder: Path):
    """(folded model, its input or None for a seeded one) of "default" or "tinier-yolo"."""
    return _default_model(folder) if name == "default" else _tinier_model()


def region_input(model, x, frames: int = FRAMES) -> np.ndarray:
    """[frames, ...] normal-layout input of the hardware region (numpy runs any host ops)."""
    x = seeded_input(model, 0) if x is None else x
    tensor = build_network_code(model).input_tensor
    ref = reference_tensors(model, [x])[0][tensor]
    return np.stack([ref] * frames)


def time_rtl(model, feed: np.ndarray, cache: Path):
    """(cold build s, run s, network code, result) of the stitched core under Verilator on
    `feed` ([frames, ...] region input)."""
    net = build_rtl_network(model)
    sources, _, bench = core_design(model, net)
    start = time.perf_counter()
    build_design(sources, bench, cache / "rtl")
    build = time.perf_counter() - start
    start = time.perf_counter()
    rtl = run_core(model, net, feed.reshape(len(feed), -1), cache_dir=cache / "rtl")
    return build, time.perf_counter() - start, net, rtl


def time_cpp(model, feed: np.ndarray, cache: Path, **options):
    """(cold build s, run s, result) of the generated C++ (g++) on `feed`: a first run
    compiles (simulate_network picks the flags for this many frames) and a second, timed,
    reuses the binary; build s = the first run's time less the second's."""
    hls = build_network_code(model)
    start = time.perf_counter()
    simulate_network(model, feed, net=hls, cache_dir=cache / "cpp", **options)
    first = time.perf_counter() - start
    start = time.perf_counter()
    cpp = simulate_network(model, feed, net=hls, cache_dir=cache / "cpp", **options)
    run = time.perf_counter() - start
    return max(first - run, 0.0), run, cpp


def _measure(name: str, model, x, cache: Path) -> dict:
    region = hardware_region(model)
    slowest = max(region, key=lambda n: getCustomOp(n).cycles())
    feed = region_input(model, x)
    rtl_build, rtl_run, net, rtl = time_rtl(model, feed, cache)
    cpp_build, cpp_run, cpp = time_cpp(model, feed, cache)
    names = set(net.node_names)
    cpp_stream = np.concatenate(
        [
            np.stack(
                [tensor_stream(model, t, cpp.outputs[t][f][None], names) for f in range(FRAMES)]
            )
            for t in net.output_tensors
        ],
        axis=1,
    )
    return {
        "network": name,
        "layers": len(region),
        "rtl_build_s": round(rtl_build, 1),
        "cpp_build_s": round(cpp_build, 1),
        "cycles_per_frame": rtl.cycles_per_frame,
        "slowest_layer": slowest.name,
        "slowest_layer_cycles": int(getCustomOp(slowest).cycles()),
        "rtl_s_per_frame": round(rtl_run / FRAMES, 2),
        "cpp_s_per_frame": round(cpp_run / FRAMES, 3),
        "rtl_vs_cpp": round(rtl_run / cpp_run, 1),
        "rtl_cycles_per_s": round(rtl.cycles_per_frame * FRAMES / rtl_run),
        "rtl_equals_cpp": bool(np.array_equal(rtl.stream, cpp_stream)),
    }


def _table(rows: list[dict]) -> str:
    head = (
        "| network | layers | build s RTL / C++ | cycles/frame | slowest layer cycles "
        "| s/frame RTL / C++ | RTL/C++ | equal |"
    )
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            f"| {r['network']} | {r['layers']} | {r['rtl_build_s']:g} / {r['cpp_build_s']:g} "
            f"| {r['cycles_per_frame']:,} | {r['slowest_layer_cycles']:,} "
            f"({r['slowest_layer']}) | {r['rtl_s_per_frame']:g} / {r['cpp_s_per_frame']:g} "
            f"| {r['rtl_vs_cpp']:g}x | {'yes' if r['rtl_equals_cpp'] else 'NO'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(NETWORKS))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="qnnflow-rtlsim-speed-") as tmp:
        for name in args.only.split(","):
            if name == "tinier-yolo" and not TINIER.is_dir():
                print(f"skipping tinier-yolo: {TINIER} not found")
                continue
            folder = Path(tmp) / name
            model, x = load_network(name, folder)
            rows.append(_measure(name, model, x, folder / "cache"))
            print(_table(rows[-1:]), flush=True)
    print(_table(rows))
    if args.only == ",".join(NETWORKS):
        RESULTS.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
