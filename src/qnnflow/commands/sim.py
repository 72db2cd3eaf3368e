"""`qnnflow sim MODEL`: execute a folded hardware graph in numpy (qnnflow.util.graph_exec),
in the g++ C++ simulation of its generated HLS code, or in the Verilator simulation of its
generated RTL, and compare with numpy layer by layer."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table


def resolve_model(path: Path) -> Path:
    """A model file, or a build directory (its latest saved step that holds hardware ops)."""
    from qnnflow.errors import QnnflowError

    if path.is_file():
        return path
    if path.is_dir():
        saved = sorted(path.glob("[0-9][0-9]_*.onnx"))
        for candidate in reversed(saved):
            if candidate.stem.split("_", 1)[1] in ("fold", "codegen", "cppsim", "rtlsim", "report"):
                return candidate
        raise QnnflowError(f"{path}: no folded model (NN_fold.onnx); run the build's fold step")
    raise QnnflowError(f"model not found: {path}")


def read_input(model, path: Path):
    """The model's input from a .npy tensor or an image; an image is read and letterboxed
    by the same functions `qnnflow detect` uses, so both see the same tensor."""
    import numpy as np

    from qnnflow.errors import QnnflowError
    from qnnflow.quant.calib_images import IMAGE_SUFFIXES
    from qnnflow.util.execute import input_shape

    shape = tuple(input_shape(model))
    if path.suffix.lower() == ".npy":
        try:
            return np.load(path).astype(np.float32).reshape(shape)
        except (OSError, ValueError) as exc:
            raise QnnflowError(f"{path}: not an input of shape {shape}: {exc}") from None
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise QnnflowError(
            f"{path}: expected a .npy tensor or an image ({', '.join(IMAGE_SUFFIXES)})"
        )
    if len(shape) != 4 or shape[:2] != (1, 3):
        raise QnnflowError(
            f"{path}: the model's input {list(shape)} is not one NCHW RGB image; pass a .npy"
        )
    from qnnflow.yolo import load_image, network_input

    return network_input(load_image(path), shape[3], shape[2])


@click.command("sim")
@click.argument("model_path", metavar="MODEL", type=click.Path(path_type=Path))
@click.option(
    "--level",
    type=click.Choice(["python", "cpp", "both", "rtl"]),
    help="numpy execution, C++ simulation, both compared layer by layer, or the RTL "
    "(Verilator: every layer and the stitched top on two frames, compared with numpy) "
    "[default: both, or rtl with --backend rtl].",
)
@click.option(
    "--backend",
    type=click.Choice(["hls", "rtl"]),
    help="Simulate this backend's generated code, as the build's --backend: hls = --level "
    "both, rtl = --level rtl.",
)
@click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Input tensor (.npy, the model's input shape) or an image (jpg/png/bmp, letterboxed "
    "as `qnnflow detect` feeds the model); default: seeded random.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the random input.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def sim_cmd(model_path, level, backend, input_path, seed, as_json) -> None:
    """Simulate MODEL (a folded .onnx or a build directory) and report per-layer cycles."""
    level = sim_level(level, backend)
    from qonnx.custom_op.registry import getCustomOp

    from qnnflow.backends.hls.network import hardware_region
    from qnnflow.backends.hls.network_sim import execute_cpp, first_mismatch
    from qnnflow.commands.progress_view import progress_bars
    from qnnflow.errors import QnnflowError
    from qnnflow.flow.verify_step import seeded_input
    from qnnflow.frontend.onnx_import import open_onnx
    from qnnflow.util.graph_exec import execute_graph

    model = open_onnx(resolve_model(model_path))
    x = seeded_input(model, seed) if input_path is None else read_input(model, input_path)
    result: dict = {"model": str(model_path), "level": level}
    with progress_bars():  # g++ / Verilator builds and the layers compared
        if level == "python":
            start = time.perf_counter()
            execute_graph(model, {model.graph.input[0].name: x})
            result["python_seconds"] = time.perf_counter() - start
        elif level == "rtl":
            result.update(_rtl(model, seed, x if input_path is not None else None))
        elif level == "cpp":
            _, sim = execute_cpp(model, x)
            result.update(cpp_seconds=sim.seconds, cycles=sim.cycles)
        else:
            start = time.perf_counter()
            mismatch, sim = first_mismatch(model, x)
            result.update(
                bit_exact=mismatch is None,
                first_mismatch=None if mismatch is None else str(mismatch),
                seconds_both=time.perf_counter() - start,
                cpp_seconds=sim.seconds,
                cycles=sim.cycles,
            )
    if "cycles" in result:
        result["estimates"] = {n.name: getCustomOp(n).cycles() for n in hardware_region(model)}
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        _print(result)
    if result.get("bit_exact") is False:
        kind = "RTL" if level == "rtl" else "C++"
        raise QnnflowError(f"{kind} simulation differs from numpy: {result['first_mismatch']}")


def sim_level(level: str | None, backend: str | None) -> str:
    """--level from --level and --backend (an alias: rtl = --level rtl, hls = C++ levels)."""
    from qnnflow.errors import QnnflowError

    if backend is None:
        return level or "both"
    if level is None:
        return "rtl" if backend == "rtl" else "both"
    if (level == "rtl") != (backend == "rtl") and level != "python":
        raise QnnflowError(f"--level {level} simulates another backend than --backend {backend}")
    return level


def _rtl(model, seed: int, x) -> dict:
    """The rtlsim step's simulation (two seeded frames, or the given input and a seeded one)."""
    from qnnflow.backends.rtl.network_sim import simulate_network_rtl
    from qnnflow.flow.rtlsim_step import STRESS
    from qnnflow.verify.inputs import seeded_input

    start = time.perf_counter()
    inputs = [seeded_input(model, seed) if x is None else x, seeded_input(model, seed + 1)]
    sim = simulate_network_rtl(model, inputs, gaps=STRESS, stalls=STRESS, seed=seed + 1)
    record = sim.to_dict()
    return {
        "bit_exact": record["bit_exact"],
        "first_mismatch": record["first_mismatch"],
        "seconds_both": time.perf_counter() - start,
        "cycles": {r["layer"]: r["cycles_rtl"] for r in record["layers"]},
        "rtl_cycles_per_frame": sim.cycles_per_frame,
        "rtl_stressed_cycles_per_frame": sim.stressed_cycles_per_frame,
    }


def _print(result: dict) -> None:
    console = Console()
    if "cycles" in result:
        kind = "RTL sim" if "rtl_cycles_per_frame" in result else "C++ sim"
        table = Table("layer", f"cycles ({kind})", "cycles (estimate)", "difference")
        for name, cycles in result["cycles"].items():
            estimate = result["estimates"][name]
            table.add_row(name, str(cycles), str(estimate), f"{cycles - estimate:+d}")
        console.print(table)
    for key in ("python_seconds", "cpp_seconds"):
        if key in result:
            console.print(f"{key.replace('_', ' ')}: {result[key]:.3f} s")
    if "rtl_cycles_per_frame" in result:
        console.print(
            f"stitched top: {result['rtl_cycles_per_frame']} cycles per frame, "
            f"{result['rtl_stressed_cycles_per_frame']} with random gaps and backpressure"
        )
    if "bit_exact" in result:
        verdict = "bit-exact" if result["bit_exact"] else f"MISMATCH: {result['first_mismatch']}"
        kind = "RTL" if "rtl_cycles_per_frame" in result else "C++"
        console.print(f"{kind} vs numpy: {verdict}")
