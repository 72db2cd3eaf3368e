"""FIFO sizing by RTL simulation (InsertFIFOs(fifo_sizing="rtlsim")): the stitched core is
simulated in Verilator with every FIFO deep (a frame of words, at most DEEP_CAP, block RAM)
and its input paced to one frame per slowest layer's cycles() (fed as fast as it is taken,
every FIFO upstream of the bottleneck would fill with slack, not need); each FIFO reports
the most words it held (rtl/qnnflow/fifo.sv, +fifo_levels) and gets that level + 1, rounded
up to the largest depth its memory holds at the same cost (32 words of LUT RAM, a whole
number of BRAM36 tiles). The sized design is then simulated unpaced (as the DMA feeds it):
its interval must be within TOLERANCE of the slowest layer's (or of the deep design's, if
that is slower) without deadlock, else the FIFOs that were full double (at most the deep
depth) for up to MAX_ROUNDS more simulations, and if that fails the deep depths stay.
Max levels are an upper bound (a FIFO in front of the bottleneck keeps the backlog of the
pipeline's start), so last each block-RAM FIFO (at most MAX_SHRINKS, costliest first) is
tried at 32 words in LUT RAM and keeps that when the interval holds without deadlock.
Deterministic: the same seed feeds the same frames, and the timing does not depend on data."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.rtl.ddr_model import attach_ddr
from qnnflow.backends.rtl.layer_code import rtl_identifier
from qnnflow.backends.rtl.layer_sim import RtlSimResult, run_design
from qnnflow.backends.rtl.network import build_rtl_network, core_sources
from qnnflow.backends.rtl.network_sim import quiet_cycles
from qnnflow.backends.rtl.testbench import render_testbench
from qnnflow.errors import QnnflowError
from qnnflow.ops.estimate import BRAM36_SHAPES, bram36_for
from qnnflow.ops.graph_queries import hw_nodes, hw_op

log = logging.getLogger(__name__)
DEEP_CAP = 4096  # words of the deep FIFOs of the measuring run
LUT_DEPTH = 32  # fifo.sv keeps up to 32 words in LUT RAM, at one LUT per bit whatever the depth
TOLERANCE = 0.01
MAX_ROUNDS = 3
MAX_SHRINKS = 12  # block-RAM FIFOs tried in LUT RAM, most block RAM first
FRAMES = 3


@dataclass(frozen=True)
class FifoRun:
    """One stitched simulation: cycles per frame (0 when it deadlocked) and, per FIFO node
    name, (most words held, words it can hold)."""

    cycles_per_frame: int
    deadlocked: bool
    levels: dict[str, tuple[int, int]]


def fifo_nodes(model: ModelWrapper) -> list:
    return [n for n in hw_nodes(model) if n.op_type == "StreamingFIFO"]


def free_depth(need: int, width: int) -> int:
    """The largest depth >= need that costs what `need` words cost in fifo.sv's memory."""
    if need <= 2:
        return 2
    if need <= LUT_DEPTH:
        return LUT_DEPTH
    tiles = bram36_for(need, width)
    fits = [(tiles // math.ceil(width / w)) * d for d, w in BRAM36_SHAPES]
    return max(need, *fits)


def _frames(model: ModelWrapper, tensor: str, elements: int, frames: int, seed: int):
    dtype = model.get_tensor_datatype(tensor)
    rng = np.random.default_rng(seed)
    if dtype == DataType["BIPOLAR"]:
        return rng.choice([-1, 1], size=(frames, elements)).astype(np.int64)
    return rng.integers(int(dtype.min()), int(dtype.max()) + 1, size=(frames, elements))


def simulate_fifo_levels(
    model: ModelWrapper,
    frames: int = FRAMES,
    seed: int = 0,
    cache_dir: Path | None = None,
    period: int = 0,
) -> FifoRun:
    """Simulate the stitched core on random frames with its current FIFO depths, the input
    offered at most one frame per `period` cycles (0: as fast as it is taken)."""
    net = build_rtl_network(model)
    ddr = attach_ddr(net.mm_ports)
    sources = {**core_sources(model, net), **ddr.sources}
    files = {n: t for code in net.layers for n, t in code.files.items()}
    bench = render_testbench(
        net.core, net.inputs, net.outputs, ddr.port_connections, ddr.declarations
    )
    feed = _frames(model, net.input_tensor, net.inputs[0].elements, frames, seed)
    result: RtlSimResult = run_design(
        net.core, sources, files, net.inputs, net.outputs, [feed], bench,
        cache_dir=cache_dir, plusargs=["+fifo_levels", f"+period={period}"],
        tolerate_deadlock=True, timeout_cycles=quiet_cycles(model),
    )  # fmt: skip
    by_instance = {f"u_{rtl_identifier(n.name)}": n.name for n in fifo_nodes(model)}
    levels = {}
    for line in result.log.splitlines():
        parts = line.split()
        if parts[:2] == ["qnnflow_fifo", "level"]:
            instance = parts[2].split(".")[-2]  # qnnflow_tb.dut.u_<layer>.u_fifo
            levels[by_instance[instance]] = (int(parts[3]), int(parts[4]))
    if set(levels) != set(by_instance.values()):
        raise QnnflowError("the RTL simulation did not report every FIFO's level")
    return FifoRun(result.cycles_per_frame, result.deadlocked, levels)


def _set_depths(model: ModelWrapper, depths: dict[str, int]) -> None:
    for node in fifo_nodes(model):
        if node.name in depths:
            hw_op(node).set_nodeattr("depth", int(depths[node.name]))


def slowest_cycles(model: ModelWrapper) -> int:
    return max(hw_op(n).cycles() for n in hw_nodes(model))


def size_fifos_rtlsim(
    model: ModelWrapper,
    keep: frozenset[str] = frozenset(),
    frames: int = FRAMES,
    seed: int = 0,
    cache_dir: Path | None = None,
) -> FifoRun:
    """Set every FIFO's depth (but those named in `keep`) from the RTL simulation; returns
    the final run. The current depths are lower bounds of the deep run (join FIFOs)."""
    ops = {n.name: hw_op(n) for n in fifo_nodes(model) if n.name not in keep}
    if not ops:
        return simulate_fifo_levels(model, frames, seed, cache_dir)
    deep = {
        name: max(op.get_nodeattr("depth"), min(DEEP_CAP, op.words_per_frame() * op.replays() + 2))
        for name, op in ops.items()
    }
    _set_depths(model, deep)
    slowest = slowest_cycles(model)
    reference = simulate_fifo_levels(model, frames, seed, cache_dir, period=slowest)
    if reference.deadlocked:
        raise QnnflowError("the stitched RTL design deadlocks even with deep FIFOs")
    if reference.cycles_per_frame > slowest * (1 + TOLERANCE):
        log.warning(
            "with deep FIFOs the stitched RTL design runs %d cycles/frame, the slowest layer's "
            "estimate is %d", reference.cycles_per_frame, slowest,
        )  # fmt: skip
    target = max(slowest, reference.cycles_per_frame) * (1 + TOLERANCE)
    width = {name: op.instream_width_bits() for name, op in ops.items()}
    depths = {
        name: min(deep[name], free_depth(reference.levels[name][0] + 1, width[name]))
        for name in ops
    }
    for attempt in range(MAX_ROUNDS + 1):
        _set_depths(model, depths)
        run = simulate_fifo_levels(model, frames, seed, cache_dir)
        if not run.deadlocked and run.cycles_per_frame <= target:
            run = _shrink(model, depths, width, target, run, frames, seed, cache_dir)
            log.info("rtlsim FIFOs: %d cycles/frame (target %d)", run.cycles_per_frame, target)
            return run
        full = [n for n in ops if run.levels[n][0] >= run.levels[n][1] and depths[n] < deep[n]]
        log.info("rtlsim FIFOs round %d: %s, growing %s", attempt, run, full)
        if not full or attempt == MAX_ROUNDS:
            break
        for name in full:
            depths[name] = min(deep[name], free_depth(2 * depths[name], width[name]))
    _set_depths(model, deep)  # never leave a design slower than measured, or deadlocking
    log.warning("rtlsim FIFO sizing did not converge; keeping the deep FIFOs")
    return reference


def _shrink(
    model: ModelWrapper,
    depths: dict[str, int],
    width: dict[str, int],
    target: float,
    run: FifoRun,
    frames: int,
    seed: int,
    cache_dir: Path | None,
) -> FifoRun:
    """Try each block-RAM FIFO at LUT_DEPTH words; keep what holds the target interval."""
    big = [n for n in depths if depths[n] > LUT_DEPTH]
    big.sort(key=lambda n: (-bram36_for(depths[n], width[n]), -depths[n], n))
    for name in big[:MAX_SHRINKS]:
        before = depths[name]
        depths[name] = LUT_DEPTH
        _set_depths(model, depths)
        trial = simulate_fifo_levels(model, frames, seed, cache_dir)
        if not trial.deadlocked and trial.cycles_per_frame <= target:
            run = trial
        else:
            depths[name] = before
    _set_depths(model, depths)
    return run
