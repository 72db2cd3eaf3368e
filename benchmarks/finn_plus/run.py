"""qnnflow vs finn-plus, estimate-only builds of the same QONNX for the PYNQ-Z2, in one run.

Run from the repository root with qnnflow's venv:  .venv/bin/python benchmarks/finn_plus/run.py
It creates benchmarks/.venv-finn (finn-plus 1.6.1) on first use, exports a Tiny-YOLO-like W1A3
network with Brevitas, compiles it with finn-plus (estimates only) and with qnnflow at a few
target frame rates, builds the trained Tinier-YOLO with qnnflow (which finn-plus cannot
compile: the run says why, measured), and prints one table, then each compiler's seconds
per build step. Nothing is hard-coded: every
number comes from the build reports written during this run (under --out).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import time
import warnings
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from ours_compile import compile_ours  # noqa: E402
from pool_probe import with_pad_axes  # noqa: E402
from table import Row, render, render_steps  # noqa: E402
from tinier_facts import finn_blockers  # noqa: E402
from tiny_yolo_net import POOL_PROBE, NetSpec, export_qonnx_file, macs  # noqa: E402

TINIER = ROOT.parent / "shared" / "data" / "tinier-yolo" / "tinier_yolo_w1a3.npz"


FINN_TIMEOUT_S = 1800  # one finn-plus estimate-only build


def ensure_finn_venv(venv: Path) -> None:
    """Create the finn-plus venv with setup_venv.sh unless it is already there."""
    if (venv / "bin" / "python").is_file():
        return
    print(f"creating {venv} (finn-plus 1.6.1; a few minutes) ...", flush=True)
    subprocess.run(["bash", str(HERE / "setup_venv.sh"), str(venv)], check=True, timeout=3600)


def finn_version(venv: Path) -> str:
    code = "import importlib.metadata as m; print(m.version('finn-plus'))"
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.strip()


def run_finn(venv: Path, model: Path, out_dir: Path, fps: int) -> dict:
    """finn_compile.py in the finn-plus venv; its console output goes to OUT_DIR.log."""
    shutil.rmtree(out_dir, ignore_errors=True)
    log = out_dir.with_suffix(".log")
    with log.open("w") as stream:
        try:
            proc = subprocess.run(
                [str(venv / "bin" / "python"), str(HERE / "finn_compile.py"), str(model)]
                + [str(out_dir), str(fps)],
                stdout=stream,
                stderr=subprocess.STDOUT,
                cwd=out_dir.parent,
                timeout=FINN_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"finn_compile.py did not finish in {FINN_TIMEOUT_S} s; see {log}"}
    result = out_dir / "bench_result.json"
    if not result.is_file():
        return {"error": f"finn_compile.py exited {proc.returncode}; see {log}"}
    return json.loads(result.read_text())


def tiny_yolo_rows(args, venv: Path, out: Path) -> tuple[list[Row], list[str]]:
    spec = NetSpec(size=args.size)
    began = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # torch.onnx's progress lines
        model = export_qonnx_file(spec, out / f"tiny_yolo_like_w1a3_{spec.size}.onnx", args.seed)
    print(
        f"exported {model.name}: {spec.size}x{spec.size}, convs {spec.widths} + 1x1 "
        f"{spec.head_channels}, {macs(spec) / 1e6:.0f} M MAC/frame "
        f"({time.perf_counter() - began:.1f} s)",
        flush=True,
    )
    name = f"Tiny-YOLO-like W1A3 {spec.size}"
    rows, notes = [], []
    plan: list[tuple[str, float | None]] = [(f"{t:g}", t) for t in args.targets]
    plan.append(("max", None))
    for label, target in plan:
        ours = compile_ours(model, out / f"ours_{label}", target)
        finn_fps = int(target) if target is not None else int(ours.get("fps", 0))
        finn = run_finn(venv, model, out / f"finn_{label}", finn_fps) if finn_fps else None
        print(
            f"  target {label}: ours {ours['seconds']:.1f} s, finn-plus at {finn_fps} fps",
            flush=True,
        )
        shown = label if target is not None else f"max (ours); finn+ {finn_fps}"
        rows.append(
            Row(
                name,
                shown,
                _ok(ours),
                _ok(finn),
                seconds_ours=ours["seconds"],
                steps_ours=ours.get("steps"),
                steps_finn=finn and finn.get("steps"),
            )
        )
        notes.append(f"{shown}: " + "; ".join(_details(ours, finn)))
    return rows, notes


def _ok(result: dict | None) -> dict | None:
    return None if result is None or "error" in result else result


def _details(ours: dict, finn: dict | None) -> list[str]:
    """Bottlenecks and the totals the table leaves out, or each side's error."""
    if "error" in ours:
        parts = [f"qnnflow refused: {ours['error']}"]
    else:
        parts = [
            f"ours bottleneck {ours['bottleneck']}, with FIFOs and width converters "
            f"LUT {ours['lut_all']:,.0f} BRAM36 {ours['bram36_all']:.1f}"
        ]
    if finn is not None and "error" in finn:
        parts.append(f"finn-plus failed: {finn['error']}")
    elif finn is not None:
        parts.append(
            f"finn+ bottleneck {finn['bottleneck']}, whole graph (adds input thresholds, "
            f"1x1 head, Mul/Add) {finn['fps_all']:.1f} fps LUT {finn['lut_all']:,.0f} "
            f"BRAM18 {finn['bram18_all']:.0f} DSP {finn['dsp_all']:.0f}"
        )
    return parts


def tinier_rows(venv: Path, out: Path, seed: int) -> tuple[list[Row], list[str]]:
    from qnnflow.boards import load_board

    if not TINIER.is_file():
        return [], [f"Tinier-YOLO skipped: {TINIER} not found (../shared absent)"]
    ours = compile_ours(TINIER, out / "ours_tinier", None)
    print(f"  Tinier-YOLO: ours {ours['seconds']:.1f} s", flush=True)
    if "error" in ours:
        notes = [f"Tinier-YOLO: qnnflow failed: {ours['error']}"]
    else:
        notes = [
            f"Tinier-YOLO: ours bottleneck {ours['bottleneck']}, weights streamed from DDR "
            f"{ours['ddr_mb_per_s']:.1f} MB/s; utilisation with platform: "
            + ", ".join(f"{k} {v:.0%}" for k, v in ours["utilization"].items())
        ]
    bram36 = int(load_board("pynq_z2").resources["BRAM36"])
    notes += [f"finn-plus cannot build Tinier-YOLO: {r}" for r in finn_blockers(TINIER, bram36)]
    with contextlib.redirect_stdout(io.StringIO()):
        probe = export_qonnx_file(POOL_PROBE, out / "pool_probe.onnx", seed)
    for tag, path in (("as exported", probe), ("Pad axes filled in", None)):
        path = path or with_pad_axes(probe, out / "pool_probe_axes.onnx")
        result = run_finn(venv, path, out / f"finn_probe_{tag.split()[0]}", 10)
        outcome = result.get("error", f"compiled ({result.get('fps', 0):.0f} fps)")
        notes.append(f"finn-plus on a small net with that pool ({tag}): {outcome}")
    row = Row(
        "Tinier-YOLO trained W1A3 416",
        "max (ours)",
        _ok(ours),
        None,
        ours["seconds"],
        steps_ours=ours.get("steps"),
    )
    return [row], notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="10,30,60,100", help="target fps, comma-separated")
    parser.add_argument("--size", type=int, default=416, help="input size of the test net")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench_finn_plus")
    parser.add_argument("--finn-venv", type=Path, default=ROOT / "benchmarks" / ".venv-finn")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-tinier", action="store_true", help="skip the Tinier-YOLO build")
    args = parser.parse_args()
    args.targets = [float(t) for t in args.targets.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    warnings.filterwarnings("ignore", message="fast_hadamard_transform")  # brevitas, harmless
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # "torchvision is not installed"
    ensure_finn_venv(args.finn_venv)
    print(
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; "
        f"qnnflow {version('qnnflow')}, finn-plus {finn_version(args.finn_venv)}, "
        f"brevitas {version('brevitas')}; board PYNQ-Z2 (xc7z020clg400-1), 100 MHz",
        flush=True,
    )
    rows, notes = tiny_yolo_rows(args, args.finn_venv, args.out)
    more_rows, more_notes = [], ["Tinier-YOLO skipped (--no-tinier)"]
    if not args.no_tinier:
        more_rows, more_notes = tinier_rows(args.finn_venv, args.out, args.seed)
    print()
    print(render(rows + more_rows))
    print()
    print(
        "ours / finn+ (x) = ratio ours/finn+. Both are estimate-only builds for the same layers: "
        "qnnflow keeps the input quantizer and the 1x1 head conv on the host, so finn+ numbers "
        "are summed over the same layers (pads, window generators, matrix units, pools); ours "
        "exclude FIFOs, width converters and the platform overhead (finn's estimate-only flow "
        "inserts none). finn+ BRAM36 = its BRAM_18K / 2. Compile s = wall time of the build "
        "call (qnnflow runs every step's numpy equivalence check; finn+ checks nothing)."
    )
    for note in notes + more_notes:
        print(f"- {note}")
    steps = render_steps(rows + more_rows)
    if steps:
        print()
        print(
            "Compile seconds per step (qnnflow: its build_state.json; finn-plus: each step "
            "timed by finn_compile.py, as its own report/time_per_step.json rounds to whole "
            "seconds); the sums leave out what runs between steps."
        )
        print()
        print(steps)


if __name__ == "__main__":
    main()
