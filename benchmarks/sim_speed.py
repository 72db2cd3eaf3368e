"""Simulator speed: wall seconds per frame of every way qnnflow executes a folded graph, on the
default model and the trained Tinier-YOLO's hidden layers, and whether each equals numpy.

Simulators (--sims):
- numpy: qnnflow.util.graph_exec.execute_graph, what `qnnflow sim --level python` runs (the
  ops' vectorized kernels, qonnx's rounding vectorized, one BLAS thread); numpy-blas-threads:
  the same with OpenBLAS's own thread count (on a loaded machine they cost more than they
  give);
- qonnx: qonnx's execute_onnx of the same graph (the same op kernels, qonnx's per-node
  rounding in python);
- cpp: the generated C++ (g++) in its cycle-accurate mode; cpp-fast: its functional mode
  where simulate_network offers one (a `fast` or `mode` argument), else n.a.;
- rtl: the stitched SystemVerilog core under Verilator (benchmarks/rtlsim_speed.py's build
  and run).

numpy and qonnx run the whole folded graph (the default model's host quantizer and
transposes too, a few ms); C++ and RTL run the hardware region on its numpy input. The C++
and RTL builds start from an empty cache (build s, not per frame). "equal" compares the
graph outputs (qonnx) or the region's output tensors (C++, RTL) with numpy's.

    .venv/bin/python benchmarks/sim_speed.py      # ~6 min on 2 cores (RTL builds, qonnx)
    options: --networks default,tinier-yolo  --sims numpy,numpy-blas-threads,qonnx,cpp,cpp-fast,rtl
             --frames 2  --repeat 3 (best of, numpy only)

Prints a markdown table; a run of every network and simulator writes
benchmarks/results/sim_speed.json.
"""

from __future__ import annotations

import argparse
import inspect
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from qonnx.core.onnx_exec import execute_onnx
from rtlsim_speed import NETWORKS, TINIER, load_network, region_input, time_cpp, time_rtl

from qnnflow.backends.hls.network_sim import simulate_network
from qnnflow.backends.rtl.network_sim import reference_tensors, tensor_stream
from qnnflow.util.graph_exec import execute_graph
from qnnflow.verify.inputs import seeded_input

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "sim_speed.json"
SIMULATORS = ("numpy", "numpy-blas-threads", "qonnx", "cpp", "cpp-fast", "rtl")


def fast_mode_options() -> dict | None:
    """simulate_network's arguments for its functional fast mode, None where it has none."""
    parameters = inspect.signature(simulate_network).parameters
    if "fast" in parameters:
        return {"fast": True}
    if "mode" in parameters:
        return {"mode": "fast"}
    return None


def _time_graph(run, model, x, frames: int, repeat: int) -> tuple[float, dict]:
    """Best of `repeat` of the mean seconds per frame of `run` over `frames` frames."""
    feed = {model.graph.input[0].name: x}
    best, out = float("inf"), {}
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(frames):
            out = run(model, feed)
        best = min(best, (time.perf_counter() - start) / frames)
    return best, {o.name: out[o.name] for o in model.graph.output}


class Network:
    """One network's model, input and numpy references, timed by each simulator."""

    def __init__(self, name: str, folder: Path, frames: int, repeat: int) -> None:
        self.name, self.folder, self.frames, self.repeat = name, folder, frames, repeat
        self.model, x = load_network(name, folder)
        self.x = seeded_input(self.model, 0) if x is None else x
        self.outputs: dict | None = None
        self._region: dict | None = None

    def region_reference(self) -> dict:
        if self._region is None:
            self._region = reference_tensors(self.model, [self.x])[0]
        return self._region

    def row(self, sim: str, seconds: float | None, build: float | None, equal) -> dict:
        return {
            "network": self.name,
            "simulator": sim,
            "frames": self.frames,
            "build_s": None if build is None else round(build, 1),
            "s_per_frame": None if seconds is None else round(seconds, 4),
            "equal_to_numpy": equal,
        }

    def numpy(self, sim: str) -> dict:
        threads = None if sim == "numpy-blas-threads" else 1

        def run(model, feed):
            return execute_graph(model, feed, blas_threads=threads)

        seconds, outputs = _time_graph(run, self.model, self.x, self.frames, self.repeat)
        equal = None if self.outputs is None else _equal(outputs, self.outputs)
        self.outputs = self.outputs or outputs
        return self.row(sim, seconds, None, equal)

    def qonnx(self) -> dict:
        seconds, outputs = _time_graph(execute_onnx, self.model, self.x, self.frames, 1)
        if self.outputs is None:
            self.outputs = execute_graph(self.model, {self.model.graph.input[0].name: self.x})
        return self.row("qonnx", seconds, None, _equal(outputs, self.outputs))

    def cpp(self, sim: str) -> dict:
        options = {} if sim == "cpp" else fast_mode_options()
        if options is None:
            return self.row(sim, None, None, None)
        feed = region_input(self.model, self.x, self.frames)
        cache = self.folder / f"cache-{sim}"
        build, run, result = time_cpp(self.model, feed, cache, **options)
        reference = self.region_reference()
        equal = all(
            np.array_equal(value[f].reshape(-1), reference[tensor].reshape(-1))
            for tensor, value in result.outputs.items()
            for f in range(self.frames)
        )
        return self.row(sim, run / self.frames, build, equal)

    def rtl(self) -> dict:
        feed = region_input(self.model, self.x, self.frames)
        build, run, net, result = time_rtl(self.model, feed, self.folder / "cache-rtl")
        names, reference = set(net.node_names), self.region_reference()
        expected = np.concatenate(
            [tensor_stream(self.model, t, reference[t], names) for t in net.output_tensors]
        )
        equal = bool(np.array_equal(result.stream, np.stack([expected] * self.frames)))
        return self.row("rtl", run / self.frames, build, equal)

    def measure(self, sim: str) -> dict:
        if sim.startswith("numpy"):
            return self.numpy(sim)
        if sim == "qonnx":
            return self.qonnx()
        if sim.startswith("cpp"):
            return self.cpp(sim)
        return self.rtl()


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def _cell(value, unit: str = "") -> str:
    return "n.a." if value is None else f"{value:g}{unit}"


def table(rows: list[dict]) -> str:
    """Markdown: per network, each simulator's s/frame and its ratio to numpy's."""
    lines = [
        "| network | simulator | build s | s/frame | x numpy | equal to numpy |",
        "|---|---|---|---|---|---|",
    ]
    numpy = {r["network"]: r["s_per_frame"] for r in rows if r["simulator"] == "numpy"}
    for r in rows:
        base, seconds = numpy.get(r["network"]), r["s_per_frame"]
        ratio = None if base is None or seconds is None else round(seconds / base, 1)
        equal = {None: "n.a.", True: "yes", False: "NO"}[r["equal_to_numpy"]]
        if r["simulator"] == "numpy":
            equal = "(reference)"
        lines.append(
            f"| {r['network']} | {r['simulator']} | {_cell(r['build_s'])} "
            f"| {_cell(seconds)} | {_cell(ratio, 'x')} | {equal} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--sims", default=",".join(SIMULATORS))
    parser.add_argument("--frames", type=int, default=2, help="frames per timed run")
    parser.add_argument("--repeat", type=int, default=3, help="numpy: best of this many runs")
    args = parser.parse_args()
    sims = args.sims.split(",")
    unknown = sorted(set(sims) - set(SIMULATORS))
    if unknown:
        parser.error(f"unknown simulators {unknown}; choose from {', '.join(SIMULATORS)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="qnnflow-sim-speed-") as tmp:
        for name in args.networks.split(","):
            if name == "tinier-yolo" and not TINIER.is_dir():
                print(f"skipping tinier-yolo: {TINIER} not found")
                continue
            network = Network(name, Path(tmp) / name, args.frames, args.repeat)
            for sim in sims:
                rows.append(network.measure(sim))
                print(table(rows).splitlines()[-1], flush=True)
    print(table(rows))
    if args.networks == ",".join(NETWORKS) and sims == list(SIMULATORS):
        RESULTS.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
