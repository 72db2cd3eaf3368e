"""Time `make build` of the default model per step, with a cold and a warm g++ cache.

`make build` runs `qnnflow make-dataset` (the shapes test set) and then `qnnflow build ...
--accuracy-data ... --float-reference ...`; this script runs the same library calls in one
process and prints, per step, wall seconds and CPU seconds (this process plus every child it
waited for, e.g. g++ and the simulations). The first build uses an empty cache folder
(XDG_CACHE_HOME pointed at a new temporary folder: g++ binaries, the image decoder shims),
the second a fresh output folder and the now warm cache. On a loaded machine compare CPU
seconds; wall seconds count only on a quiet one.

    .venv/bin/python benchmarks/build_steps_cache.py [--runs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qnnflow.data.scene import SceneConfig  # noqa: E402
from qnnflow.data.writer import generate_dataset  # noqa: E402
from qnnflow.flow.config import BuildConfig  # noqa: E402
from qnnflow.flow.runner import run_build  # noqa: E402

MODEL = ROOT / "data/models/tinier-yolo-mini.cfg"
FLOAT = ROOT / "data/models/tinier-yolo-mini-float.weights"


def _clock() -> tuple[float, float]:
    """(wall, CPU of this process and its waited-for children) in seconds."""
    t = os.times()
    return time.perf_counter(), t.user + t.system + t.children_user + t.children_system


def _make_dataset(folder: Path) -> tuple[float, float]:
    began = _clock()
    counts = {"train": 0, "val": 0, "test": 200}
    generate_dataset(folder, 0, counts, SceneConfig(width=224, height=224), "jpg", False, None)
    end = _clock()
    return end[0] - began[0], end[1] - began[1]


def _build(out: Path, data: Path) -> dict[str, tuple[float, float]]:
    cfg = BuildConfig(
        model=MODEL, board="pynq_z2", output_root=out, accuracy_data=data, float_reference=FLOAT
    )
    times: dict[str, tuple[float, float]] = {}
    started: dict[str, tuple[float, float]] = {}

    def on_step(name: str, status: str) -> None:
        now = _clock()
        if status == "running":
            started[name] = now
        elif name in started:
            times[name] = (now[0] - started[name][0], now[1] - started[name][1])

    run_build(cfg, on_step)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qnnflow-bench-") as tmp:
        root = args.keep or Path(tmp)
        os.environ["XDG_CACHE_HOME"] = str(root / "cache")  # empty: the cold run
        for var in ("QNNFLOW_CPP_CACHE", "QNNFLOW_SYNTH_CACHE"):
            os.environ.pop(var, None)
        dataset = _make_dataset(root / "shapes-test")
        cold = _build(root / "cold", root / "shapes-test")
        warm = _build(root / "warm", root / "shapes-test")
    print(f"{'step':<12}{'cold wall':>11}{'cold cpu':>10}{'warm wall':>11}{'warm cpu':>10}")
    print(f"{'make-dataset':<12}{dataset[0]:>11.2f}{dataset[1]:>10.2f}")
    for name in cold:
        c, w = cold[name], warm.get(name, (float("nan"),) * 2)
        print(f"{name:<12}{c[0]:>11.2f}{c[1]:>10.2f}{w[0]:>11.2f}{w[1]:>10.2f}")
    total_c = [sum(v[i] for v in cold.values()) + dataset[i] for i in (0, 1)]
    total_w = [sum(v[i] for v in warm.values()) + dataset[i] for i in (0, 1)]
    print(
        f"{'total':<12}{total_c[0]:>11.2f}{total_c[1]:>10.2f}{total_w[0]:>11.2f}{total_w[1]:>10.2f}"
    )
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
