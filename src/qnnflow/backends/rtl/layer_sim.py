"""Per-layer RTL simulation: the layer's wrapper and kernels under the generated testbench,
built with Verilator, fed frames (optionally with random input gaps and output
backpressure), read back in stream order with the cycles each frame took."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.backends.hls.layer_sim import LayerSimResult
from qnnflow.backends.rtl import verilator
from qnnflow.backends.rtl.ddr_model import attach_ddr
from qnnflow.backends.rtl.layer_code import RtlLayerCode
from qnnflow.backends.rtl.testbench import DEADLOCK_CYCLES, MAIN_CPP, TOP, render_testbench
from qnnflow.backends.rtl.words import read_words, write_words
from qnnflow.errors import QnnflowError

PROBABILITY_UNITS = 65536  # the testbench draws 16-bit numbers


@dataclass(frozen=True)
class RtlSimResult(LayerSimResult):
    latency: int = 0  # cycles from the first input word to the first frame's last output word
    log: str = ""  # the simulation's stdout (e.g. the FIFO levels asked for by +fifo_levels)
    deadlocked: bool = False  # only with tolerate_deadlock: no word moved for +timeout cycles


def _probability(name: str, value: float) -> int:
    if not 0.0 <= value < 1.0:
        raise QnnflowError(f"{name}={value}: expected a probability in [0, 1)")
    return int(round(value * PROBABILITY_UNITS))


def _frame_ends(stdout: str, outputs: int, frames: int) -> tuple[list[int], int]:
    """Per frame, the cycle its last word left the slowest output; and the first input."""
    ends = np.zeros((outputs, frames), np.int64)
    first_in = 0
    for line in stdout.splitlines():
        parts = line.split()
        if parts[:2] == ["qnnflow_tb", "frame_end"]:
            ends[int(parts[2]), int(parts[3])] = int(parts[4])
        elif parts[:2] == ["qnnflow_tb", "first_in"]:
            first_in = int(parts[2])
    return [int(v) for v in ends.max(axis=0)], first_in


def _check_finished(name: str, stdout: str) -> None:
    for line in stdout.splitlines():
        if line.startswith("qnnflow_tb ") and line.split()[1] in ("error", "protocol", "deadlock"):
            raise QnnflowError(f"{name}: RTL simulation failed: {line[len('qnnflow_tb ') :]}")
    if "qnnflow_tb done" not in stdout:
        raise QnnflowError(f"{name}: RTL simulation ended without finishing its frames")


def build_design(sources: dict[str, str], testbench: str, cache_dir: Path | None = None) -> Path:
    """The Verilator simulation of `sources` under `testbench` (cached by content)."""
    return verilator.build({**sources, "qnnflow_tb.sv": testbench}, TOP, MAIN_CPP, cache_dir)


def run_design(
    name: str,
    sources: dict[str, str],
    files: dict[str, str],
    inputs: tuple[StreamSpec, ...],
    outputs: tuple[StreamSpec, ...],
    data: list[np.ndarray],
    testbench: str,
    *,
    gaps: float = 0.0,
    stalls: float = 0.0,
    seed: int = 1,
    cache_dir: Path | None = None,
    plusargs: Sequence[str] = (),
    tolerate_deadlock: bool = False,
    timeout_cycles: int = DEADLOCK_CYCLES,
) -> RtlSimResult:
    """Build `sources` + `testbench`, stream `data` (per input [frames, ...] in stream order)
    through the design and read its outputs back; shared by layers and stitched tops.
    `plusargs` go to the simulation as they are; with `tolerate_deadlock` a deadlock returns
    a result marked `deadlocked` (empty stream, its log kept) instead of raising.
    `timeout_cycles`: cycles with no word crossing the design's boundary that count as a
    deadlock (a deep pipeline legitimately goes quiet for longer than one layer)."""
    if len(data) != len(inputs):
        raise QnnflowError(f"{name}: {len(data)} inputs given, the design has {len(inputs)}")
    frames = int(np.asarray(data[0]).shape[0]) if data else 1
    exe = build_design(sources, testbench, cache_dir)
    with tempfile.TemporaryDirectory(prefix="qnnflow-rtlsim-") as tmp:
        work = Path(tmp)
        for file_name, text in files.items():
            (work / file_name).write_text(text)
        for i, (spec, values) in enumerate(zip(inputs, data, strict=True)):
            flat = np.asarray(values).reshape(frames, -1)
            if flat.shape[1] != spec.elements:
                raise QnnflowError(
                    f"{name}: input {i} has {flat.shape[1]} elements per frame, the stream "
                    f"carries {spec.elements}"
                )
            write_words(work / f"in{i}.hex", spec, flat)
        args = [f"+frames={frames}", f"+seed={seed}", f"+verilator+seed+{seed}"]
        args += [f"+gap={_probability('gaps', gaps)}", f"+stall={_probability('stalls', stalls)}"]
        args += ["+verilator+rand+reset+2", *plusargs, f"+timeout={int(timeout_cycles)}"]
        stdout = verilator.run(exe, args, work)
        if tolerate_deadlock and "qnnflow_tb deadlock" in stdout:
            empty = np.zeros((frames, 0), np.int64)
            return RtlSimResult(empty, 0, log=stdout, deadlocked=True)
        _check_finished(name, stdout)
        streams = [
            read_words(work / f"out{j}.hex", s).reshape(frames, -1) for j, s in enumerate(outputs)
        ]
    ends, first_in = _frame_ends(stdout, len(outputs), frames)
    interval = (ends[-1] - ends[0]) // (frames - 1) if frames > 1 else ends[0] - first_in + 1
    return RtlSimResult(
        stream=streams[0] if len(streams) == 1 else np.concatenate(streams, axis=1),
        cycles_per_frame=int(interval),
        latency=int(ends[0] - first_in),
        log=stdout,
    )


def simulate_layer(
    code: RtlLayerCode,
    inputs: list[np.ndarray],
    *,
    gaps: float = 0.0,
    stalls: float = 0.0,
    seed: int = 1,
    cache_dir: Path | None = None,
) -> RtlSimResult:
    """`inputs[i]` is [frames, ...] whose per-frame elements are in stream order; the result
    holds each frame's outputs in the order they left (out0's elements, then out1's, ...)."""
    ddr = attach_ddr(code.mm_ports)  # a DDR model on each AXI4 read port
    testbench = render_testbench(
        code.name,
        code.inputs,
        code.outputs,
        port_connections=ddr.port_connections,
        extra_declarations=ddr.declarations,
    )
    return run_design(
        code.name,
        {**code.sources(), **ddr.sources},
        code.files,
        code.inputs,
        code.outputs,
        inputs,
        testbench,
        gaps=gaps,
        stalls=stalls,
        seed=seed,
        cache_dir=cache_dir,
    )
