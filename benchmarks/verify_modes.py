"""What the build's transform checks cost: one model built to `fold` with --verify off, fast and
full, per step (wall seconds from build_state.json) and the checks' share (mode - off).

Run from the repository root:  .venv/bin/python benchmarks/verify_modes.py [MODEL ...]
(default: the default model, and the trained Tinier-YOLO when ../shared has it). On a shared
machine compare the modes of one run only: they run back to back, each `--repeats` times, and
the best time per step is kept.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from qnnflow.flow import BuildConfig, run_build

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = [
    ROOT / "data" / "models" / "tinier-yolo-mini.cfg",
    ROOT.parent / "shared" / "data" / "tinier-yolo" / "tinier_yolo_w1a3.npz",
]
STEPS = ("verify", "streamline", "to_hw", "fold")
MODES = ("off", "fast", "full")


def build_seconds(model: Path, mode: str, root: Path) -> dict[str, float]:
    """Per-step seconds of a fresh build of `model` to fold, and the total as "build"."""
    cfg = BuildConfig(model=model, output_root=root / mode, to_step="fold", verify=mode)
    shutil.rmtree(cfg.output_dir, ignore_errors=True)
    began = time.perf_counter()
    run_build(cfg)
    total = time.perf_counter() - began
    steps = json.loads((cfg.output_dir / "build_state.json").read_text())["steps"]
    return {**{k: v["seconds"] for k, v in steps.items()}, "build": total}


def table(model: Path, repeats: int, root: Path) -> str:
    best: dict[str, dict[str, float]] = {}
    for _ in range(repeats):
        for mode in MODES:
            seconds = build_seconds(model, mode, root)
            kept = best.setdefault(mode, seconds)
            best[mode] = {k: min(v, kept.get(k, v)) for k, v in seconds.items()}
    lines = [f"{model.name} (best of {repeats})", "", "| step | off | fast | full | full / fast |"]
    lines.append("|---|---|---|---|---|")
    for step in (*STEPS, "build"):
        off, fast, full = (best[m][step] for m in MODES)
        lines.append(f"| {step} | {off:.2f} | {fast:.2f} | {full:.2f} | {full / fast:.1f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    models = args.models or [m for m in DEFAULTS if m.is_file()]
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            print(table(model, args.repeats, Path(tmp)), "\n", flush=True)


if __name__ == "__main__":
    main()
