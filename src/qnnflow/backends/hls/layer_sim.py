"""Per-layer C++ simulation: render the layer and its driver, compile with g++, stream
frames through it and read back the output elements in stream order and the cycle count."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnnflow.backends.hls.gpp import compile_program, run_program, sim_flags
from qnnflow.backends.hls.layer_code import LayerCode, render_layer_main, render_layer_top
from qnnflow.errors import QnnflowError


@dataclass(frozen=True)
class LayerSimResult:
    stream: np.ndarray  # [frames, output elements] int64 in the order they left the layer
    # (an op with several outputs: each frame's out0 elements, then out1's, ...)
    cycles_per_frame: int | None  # None in the fast mode, which counts no cycles


def simulate_layer(
    code: LayerCode, inputs: list[np.ndarray], cache_dir: Path | None = None, fast: bool = False
) -> LayerSimResult:
    """`inputs[i]` is [frames, ...] whose per-frame elements are in stream order; `fast`
    simulates values only (network_sim.simulate_network)."""
    if len(inputs) != len(code.inputs):
        raise QnnflowError(
            f"{code.name}: {len(inputs)} inputs given, the layer has {len(code.inputs)}"
        )
    frames = inputs[0].shape[0]
    files = render_layer_top(code)
    files[f"{code.name}_sim.cpp"] = render_layer_main(code)
    exe = compile_program(files, f"{code.name}_sim.cpp", cache_dir, flags=sim_flags(fast))
    with tempfile.TemporaryDirectory(prefix="qnnflow-sim-") as tmp:
        work = Path(tmp)
        args = [str(frames)]
        for i, (spec, data) in enumerate(zip(code.inputs, inputs, strict=True)):
            flat = np.asarray(data).reshape(frames, -1)
            if flat.shape[1] != spec.elements:
                raise QnnflowError(
                    f"{code.name}: input {i} has {flat.shape[1]} elements per frame, "
                    f"the stream carries {spec.elements}"
                )
            path = work / f"in{i}.bin"
            np.ascontiguousarray(flat, dtype="<i8").tofile(path)
            args.append(str(path))
        out_path = work / "out.bin"
        stdout = run_program(exe, [*args, str(out_path)], work)
        stream = np.fromfile(out_path, dtype="<i8").reshape(
            frames, sum(o.elements for o in code.outputs)
        )
    cycles = None if fast else int(stdout.split("cycles_per_frame")[1].split()[0])
    return LayerSimResult(stream=stream, cycles_per_frame=cycles)
