"""Compile one model with qnnflow's build to its estimates (import ... fold: the fold step writes
estimate.json; finn-plus' estimate-only flow stops at the same point) and collect them.

Runs in qnnflow's own venv, through the Python API (`BuildConfig` + `run_build`), the same
path `qnnflow build` takes; the API is used because it is what accepts `target_fps`.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

# layers that exist only in qnnflow's estimate (FINN's estimate-only flow inserts neither
# FIFOs nor width converters), kept apart so the compute layers compare like for like
GLUE_OPS = ("StreamingFIFO", "WidthConverter")


def _sum(layers: list[dict], kind: str) -> float:
    return float(sum(layer["resources"].get(kind, 0.0) for layer in layers))


def step_seconds(build_dir: Path) -> dict[str, float]:
    """{step: seconds} of the steps that ran, in build order (build_state.json's record;
    a refused step is not recorded)."""
    state = build_dir / "build_state.json"
    if not state.is_file():
        return {}
    steps = json.loads(state.read_text()).get("steps", {})
    return {name: float(entry["seconds"]) for name, entry in steps.items() if "seconds" in entry}


def compile_ours(model: Path, out_root: Path, target_fps: float | None) -> dict:
    """Fresh build of `model` under `out_root`; fps, resources (compute layers and all
    hardware layers, both without the platform overhead), the build's wall time and its
    seconds per step; or {"error": message, ...} when the build refuses."""
    from qnnflow.errors import QnnflowError
    from qnnflow.flow import BuildConfig, run_build

    cfg = BuildConfig(
        model=model, board="pynq_z2", output_root=out_root, target_fps=target_fps, to_step="fold"
    )
    shutil.rmtree(cfg.output_dir, ignore_errors=True)  # no resumed steps: time a full build
    began = time.perf_counter()
    try:
        result = run_build(cfg)
    except QnnflowError as exc:  # e.g. a target the board cannot reach: a result, not a crash
        seconds = time.perf_counter() - began
        return {"error": str(exc), "seconds": seconds, "steps": step_seconds(cfg.output_dir)}
    seconds = time.perf_counter() - began
    estimate = json.loads((result.output_dir / "estimate.json").read_text())
    layers = estimate["layers"]
    compute = [layer for layer in layers if layer["op_type"] not in GLUE_OPS]
    return {
        "fps": float(estimate["fps"]),
        "bottleneck": estimate["bottleneck"],
        "lut": _sum(compute, "LUT"),
        "bram36": _sum(compute, "BRAM36"),
        "dsp": _sum(compute, "DSP"),
        "lut_all": _sum(layers, "LUT"),
        "bram36_all": _sum(layers, "BRAM36"),
        "ddr_mb_per_s": float(estimate.get("ddr_mb_per_s", 0.0)),
        "utilization": estimate["utilization"],
        "seconds": seconds,
        "steps": step_seconds(result.output_dir),
        "build_dir": str(result.output_dir),
    }
