"""Compile one QONNX model with finn-plus, estimates only, and save its results as JSON.

Runs inside the benchmark's own venv (benchmarks/.venv-finn, see setup_venv.sh), never in
qnnflow's: finn-plus pins other onnx/onnxruntime versions. Usage:
    .venv-finn/bin/python finn_compile.py MODEL.onnx OUT_DIR TARGET_FPS
It writes OUT_DIR/bench_result.json ({"fps": ..., "lut": ..., "bram18": ..., "seconds": ...,
"steps": {step: seconds}});
finn-plus prefixes everything printed during a build with timestamps, so stdout is only a log.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
import traceback
from pathlib import Path

BOARD = "Pynq-Z2"
FPGA_PART = "xc7z020clg400-1"
CLOCK_NS = 10.0


def _init_settings(out_dir: Path) -> None:
    """finn-plus reads a global settings object that its CLI normally creates; make one
    whose scratch folder lies in this build's output folder."""
    from finn.interface.settings import FINNSettings
    from finn.util import settings

    settings._SETTINGS = FINNSettings.init(
        flow_config=out_dir / "dummy.yaml", finn_build_dir=str(out_dir / "finn_tmp")
    )


def shared_scope(layer_names: list[str]) -> list[str]:
    """The layers qnnflow also maps to hardware: from the first padding/window generator to
    the matrix unit after the last window generator. FINN additionally builds the input
    quantizer (a Thresholding layer before them) and the 1x1 head conv with its float
    scale/bias (an MVAU without window generator, then Elementwise Mul/Add after them);
    qnnflow leaves those on the host."""
    first = next(
        i for i, n in enumerate(layer_names) if n.startswith(("FMPadding", "ConvolutionInput"))
    )
    last_swg = max(i for i, n in enumerate(layer_names) if n.startswith("ConvolutionInput"))
    last = next(i for i in range(last_swg, len(layer_names)) if layer_names[i].startswith("MVAU"))
    return layer_names[first : last + 1]


def _totals(resources: dict[str, dict], names: list[str]) -> dict[str, float]:
    return {
        kind: float(sum(resources[n].get(kind, 0.0) for n in names))
        for kind in ("LUT", "BRAM_18K", "URAM", "DSP")
    }


def describe_failure(exc: Exception) -> str:
    """'step_x: finn/.../file.py:LINE in func: ErrorType: message' (innermost frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    steps = [f.name for f in frames if f.name.startswith("step_")]
    last = frames[-1]
    where = last.filename.split("site-packages/")[-1]
    step = steps[-1] if steps else "?"
    return f"{step}: {where}:{last.lineno} in {last.name}: {type(exc).__name__}: {exc}"


def timed_steps(cfg, names: list[str], seconds: dict[str, float]) -> list:
    """finn-plus's build steps `names` as callables that record their wall seconds in
    `seconds` (a failing step too): the time_per_step.json finn-plus 1.6.1 writes (under
    report/) rounds each step to whole seconds, too coarse for steps of a few seconds."""
    from finn.builder.build_dataflow import resolve_build_steps

    def timed(step):
        @functools.wraps(step)
        def run(model, cfg):
            began = time.perf_counter()
            try:
                return step(model, cfg)
            finally:
                seconds[step.__name__] = time.perf_counter() - began

        return run

    return [timed(step) for step in resolve_build_steps(cfg, list_as_input=names)]


def compile_estimates(model: Path, out_dir: Path, target_fps: int) -> dict:
    """build_dataflow with the estimate-only steps; return fps, resources and wall time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # the build's exit bookkeeping records Path($XILINX_VIVADO).name as "tool_version";
    # nothing in the estimate-only steps runs a tool, so a placeholder path suffices
    os.environ.setdefault("XILINX_VIVADO", "/nonexistent/no-vivado")
    _init_settings(out_dir)
    from finn.builder.build_dataflow import build_dataflow_cfg
    from finn.builder.build_dataflow_config import (
        DataflowBuildConfig,
        DataflowOutputType,
        estimate_only_dataflow_steps,
    )

    cfg = DataflowBuildConfig(
        output_dir=str(out_dir),
        synth_clk_period_ns=CLOCK_NS,
        target_fps=target_fps,
        board=BOARD,
        fpga_part=FPGA_PART,
        steps=list(estimate_only_dataflow_steps),
        generate_outputs=[DataflowOutputType.ESTIMATE_REPORTS],
        auto_fifo_depths=False,
        save_intermediate_models=True,
    )
    steps: dict[str, float] = {}  # step name -> wall seconds, in the order they ran
    cfg.steps = timed_steps(cfg, list(estimate_only_dataflow_steps), steps)
    # build_dataflow_cfg logs an exception and returns -1, unless it believes it runs under
    # pytest: then it re-raises, which is what lets a failure be reported as file:line below
    os.environ.setdefault("PYTEST_CURRENT_TEST", "benchmarks/finn_plus (re-raise errors)")
    began = time.perf_counter()
    try:
        status = build_dataflow_cfg(str(model), cfg)
    except Exception as exc:  # noqa: BLE001 - reported, not handled
        seconds = time.perf_counter() - began
        return {"error": describe_failure(exc), "seconds": seconds, "steps": steps}
    seconds = time.perf_counter() - began
    if status != 0:
        error = f"status {status}, see {out_dir}/build_dataflow.log"
        return {"error": error, "seconds": seconds, "steps": steps}
    reports = out_dir / "report"
    perf = json.loads((reports / "estimate_network_performance.json").read_text())
    resources = json.loads((reports / "estimate_layer_resources.json").read_text())
    cycles = json.loads((reports / "estimate_layer_cycles.json").read_text())
    resources.pop("total")
    scope = shared_scope(list(cycles))
    scope_total, all_total = _totals(resources, scope), _totals(resources, list(resources))
    slowest = max(scope, key=lambda n: cycles[n])
    return {
        "fps": 1e9 / CLOCK_NS / cycles[slowest],  # the shared layers' throughput
        "bottleneck": slowest,
        "lut": scope_total["LUT"],
        "bram18": scope_total["BRAM_18K"],
        "uram": scope_total["URAM"],
        "dsp": scope_total["DSP"],
        "fps_all": float(perf["estimated_throughput_fps"]),
        "bottleneck_all": perf.get("max_cycles_node_name"),
        "lut_all": all_total["LUT"],
        "bram18_all": all_total["BRAM_18K"],
        "dsp_all": all_total["DSP"],
        "seconds": seconds,
        "steps": steps,
    }


def main() -> None:
    model, out_dir, fps = Path(sys.argv[1]), Path(sys.argv[2]).resolve(), int(sys.argv[3])
    result = compile_estimates(model.resolve(), out_dir, fps)
    (out_dir / "bench_result.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
