"""C++ simulation speed of the trained Tinier-YOLO's hidden layers (folded for the PYNQ-Z2 as
tests/backends/hls/test_trained_tinier_yolo_cpp.py folds them, conv6/conv7 streaming weights
from DDR) in its two modes: cycle (every kernel's folded loop, cycles counted) and fast
(values only: simulate_network(..., fast=True), `qnnflow sim --fast`); optionally against the
cycle mode of an older commit's kernels (--baseline REF, e.g. the commit before a speedup).

The binaries are compiled first, then run alternately (A/B, best of --reps), each on
input.bin, and checked against verification.bin (0 of 86,528 must differ). Prints seconds per
frame spent in the layers (wall, what the simulator reports) and the process's CPU seconds
per frame (less sensitive to a loaded machine), with ratios to the first mode.

    .venv/bin/python benchmarks/cpp_sim_modes.py [--reps 3] [--frames 1] [--baseline REF]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.gpp import compile_program, sim_flags
from qnnflow.backends.hls.network import build_network_code, render_network
from qnnflow.boards import load_board
from qnnflow.frontend.binparams import hidden_layers_model, load_binparams
from qnnflow.ops.stream_order import stream_to_normal
from qnnflow.packing import read_packed_frame
from qnnflow.transforms.fold import AutoFold, InsertFIFOs, InsertWidthConverters

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 1800  # any one git, g++ or simulator process
DATA = REPO.parent / "shared" / "data" / "tinier-yolo"
# Compiles the simulator with another checkout's qnnflow (PYTHONPATH) and prints its path.
CHILD = """
import sys
from pathlib import Path
from qonnx.core.modelwrapper import ModelWrapper
from qnnflow.backends.hls.gpp import compile_program
from qnnflow.backends.hls.network import build_network_code, render_network
model = ModelWrapper(sys.argv[1])
net = build_network_code(model)
print(compile_program(render_network(model, net), f"{net.top}_sim.cpp", Path(sys.argv[2])))
"""


def folded_model() -> ModelWrapper:
    model = hidden_layers_model(load_binparams(DATA / "tinier_yolo_w1a3.npz"))
    for transform in (AutoFold(load_board("pynq_z2")), InsertWidthConverters(), InsertFIFOs()):
        model = model.transform(transform)
    return model


def baseline_exe(ref: str, model_path: Path, work: Path) -> Path:
    """The cycle-mode simulator built by commit `ref`'s sources and kernels."""
    tree = work / "baseline"
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "src", "hls"],
        capture_output=True,
        check=True,
        timeout=TIMEOUT_S,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(model_path), str(work / "cpp")],
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=TIMEOUT_S,
    )
    return Path(out.stdout.strip().splitlines()[-1])


def run_once(model, exe: Path, frames: int, work: Path) -> tuple[float, float, np.ndarray]:
    """(layer seconds per frame, process CPU seconds per frame, [frames, 13, 13, 512])."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    stdout = subprocess.run(
        [str(exe), str(frames), str(work / "in.bin"), str(work / "out.bin")],
        capture_output=True,
        text=True,
        check=True,
        timeout=TIMEOUT_S,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    layers = sum(float(ln.split()[2]) for ln in stdout.splitlines() if ln.startswith("seconds "))
    stream = np.fromfile(work / "out.bin", dtype="<i8").reshape(frames, -1)
    last = model.find_producer(model.graph.output[0].name)
    out = np.stack([stream_to_normal(model, last, s, [1, 13, 13, 512]) for s in stream])
    return layers / frames, cpu / frames, out.reshape(frames, 13, 13, 512)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--frames", type=int, default=1)
    parser.add_argument("--baseline", help="also time this commit's cycle mode (git ref)")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"needs the trained Tinier-YOLO data at {DATA}")
    model = folded_model()
    net = build_network_code(model)
    files = render_network(model, net)
    golden = read_packed_frame(DATA / "verification.bin", 13, 13, 512, 3).transpose(1, 0, 2)
    codes = read_packed_frame(DATA / "input.bin", 208, 208, 16, 3).transpose(1, 0, 2)
    with tempfile.TemporaryDirectory(prefix="qnnflow-simbench-") as tmp:
        work = Path(tmp)
        flat = np.repeat(codes.reshape(1, -1), args.frames, axis=0)
        np.ascontiguousarray(flat, dtype="<i8").tofile(work / "in.bin")
        exes: dict[str, Path] = {}
        if args.baseline:
            model_path = work / "folded.onnx"
            model.save(str(model_path))
            exes[f"cycle @ {args.baseline}"] = baseline_exe(args.baseline, model_path, work)
        for mode in ("cycle", "fast"):
            exes[mode] = compile_program(
                files, f"{net.top}_sim.cpp", work / "cpp", flags=sim_flags(mode == "fast")
            )
        best = {name: [float("inf"), float("inf")] for name in exes}
        for _ in range(args.reps):
            for name, exe in exes.items():
                layers, cpu, out = run_once(model, exe, args.frames, work)
                wrong = int(np.count_nonzero(out != golden[None]))
                if wrong:
                    sys.exit(f"{name}: {wrong} of {out.size} elements differ from verification.bin")
                best[name] = [min(best[name][0], layers), min(best[name][1], cpu)]
    first = next(iter(best.values()))
    print(f"Tinier-YOLO hidden layers, {args.frames} frame(s), best of {args.reps}, bit-exact")
    print("| mode | layers s/frame | ratio | process CPU s/frame | ratio |")
    print("|---|---|---|---|---|")
    for name, (layers, cpu) in best.items():
        print(
            f"| {name} | {layers:.3f} | {first[0] / layers:.1f}x | {cpu:.3f} | "
            f"{first[1] / cpu:.1f}x |"
        )


if __name__ == "__main__":
    main()
