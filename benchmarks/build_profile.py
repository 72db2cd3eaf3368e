"""Where a build's time goes: each step and, inside it, each verified transform split into the
rewrite ("transform s") and its before/after check on the verification inputs ("check s"),
read from the profile.json the build writes (flow/profile_file.py).

Builds the default model (tinier-yolo-mini.cfg) and, where ../shared holds it, the trained
Tinier-YOLO (tinier_yolo_w1a3.npz) from scratch to the fold step, through the Python API.
With --cprofile the builds run under cProfile and the functions with the most own time
are printed too (cProfile slows the build down; the step table then includes its overhead).

    .venv/bin/python benchmarks/build_profile.py              # ~3 min on 2 cores
    options: --only default,tinier-yolo  --to-step fold  --cprofile  --top 25

Prints one markdown table per model and writes benchmarks/results/build_profile.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from qnnflow.flow import BuildConfig, run_build
from qnnflow.flow.profile_file import load_profile
from qnnflow.resources import default_model

ROOT = Path(__file__).resolve().parents[1]
TINIER = ROOT.parent / "shared" / "data" / "tinier-yolo" / "tinier_yolo_w1a3.npz"
RESULTS = ROOT / "benchmarks" / "results" / "build_profile.json"
MODELS = ("default", "tinier-yolo")


def _model(name: str) -> Path | None:
    return default_model() if name == "default" else (TINIER if TINIER.is_file() else None)


def _rows(steps: dict[str, dict]) -> list[dict]:
    """One row per step, then one per transform name inside it (repeats summed, counted),
    then the rest of the step's time ("other": loading, estimates, writing files)."""
    total = sum(entry["seconds"] for entry in steps.values()) or 1.0
    rows = []
    for step, entry in steps.items():
        rows.append({"step": step, "what": "(step)", "seconds": entry["seconds"]})
        by_name: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
        for row in entry["transforms"]:
            times = by_name[row["transform"]]
            times[0] += 1
            times[1] += row["transform_s"]
            times[2] += row["check_s"]
        for name, (count, rewrite, check) in by_name.items():
            what = name if count == 1 else f"{name} x{count}"
            rows.append(
                {"step": step, "what": what, "transform_s": rewrite, "check_s": check,
                 "seconds": rewrite + check}
            )  # fmt: skip
        if by_name:
            spent = sum(r[1] + r[2] for r in by_name.values())
            rows.append({"step": step, "what": "other", "seconds": entry["seconds"] - spent})
    for row in rows:
        row["share"] = row["seconds"] / total
    return rows


def _markdown(name: str, rows: list[dict], wall: float) -> str:
    def cell(row: dict, key: str) -> str:
        return f"{row[key]:.2f}" if key in row else ""

    lines = [
        f"### {name}: {wall:.1f} s wall to the last step",
        "",
        "| step | transform | transform s | check s | seconds | share |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for row in rows:
        step = f"**{row['step']}**" if row["what"] == "(step)" else ""
        what = "" if row["what"] == "(step)" else row["what"]
        lines.append(
            f"| {step} | {what} | {cell(row, 'transform_s')} | {cell(row, 'check_s')} | "
            f"{row['seconds']:.2f} | {100 * row['share']:.0f}% |"
        )
    return "\n".join(lines)


def _top_functions(profiler: cProfile.Profile, count: int) -> str:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(count)
    text = out.getvalue()
    return text[text.find("   ncalls") :] if "   ncalls" in text else text


def _measure(name: str, model: Path, to_step: str, profiled: bool, top: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="qnnflow-profile-") as tmp:
        cfg = BuildConfig(model=model, output_root=Path(tmp), to_step=to_step)
        profiler = cProfile.Profile() if profiled else None
        began = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        result = run_build(cfg)
        if profiler is not None:
            profiler.disable()
        wall = time.perf_counter() - began
        steps = load_profile(result.output_dir)
    rows = _rows(steps)
    print(_markdown(name, rows, wall) + "\n", flush=True)
    if profiler is not None:
        print(f"cProfile, top {top} functions by own time ({name}):\n")
        print(_top_functions(profiler, top), flush=True)
    return {"model": str(model), "wall_s": wall, "cprofile": profiled, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--to-step", default="fold", help="last step to run")
    parser.add_argument("--cprofile", action="store_true", help="also profile functions")
    parser.add_argument("--top", type=int, default=25, help="functions cProfile lists")
    args = parser.parse_args()
    results = {}
    for name in args.only.split(","):
        if name not in MODELS:
            raise SystemExit(f"unknown model {name!r} (models: {', '.join(MODELS)})")
        model = _model(name)
        if model is None:
            print(f"{name}: skipped, {TINIER} is not there\n")
            continue
        results[name] = _measure(name, model, args.to_step, args.cprofile, args.top)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
