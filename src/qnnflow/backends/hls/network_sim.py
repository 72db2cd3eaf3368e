"""Whole-network C++ simulation: compile the stitched layers with g++, run frames through
them, and compare every layer's stream with the numpy execution of the same graph, naming
the first differing layer, pixel and channel."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.backends.hls.gpp import compile_program, run_program
from qnnflow.backends.hls.network import (
    DEFAULT_TOP,
    NetworkCode,
    build_network_code,
    hardware_region,
    render_network,
)
from qnnflow.errors import QnnflowError
from qnnflow.ops.stream_order import normal_to_stream, stream_to_normal


@dataclass(frozen=True)
class NetworkSimResult:
    output: np.ndarray  # [frames, ...] normal (NHWC) order
    cycles: dict[str, int]  # node name -> cycles per frame
    layer_streams: dict[str, np.ndarray]  # node name -> [frames, elements] in stream order
    seconds: float
    layer_seconds: dict[str, float]  # node name -> simulation seconds per frame


def simulate_network(
    model: ModelWrapper,
    region_input: np.ndarray,
    net: NetworkCode | None = None,
    dump: bool = False,
    cache_dir: Path | None = None,
) -> NetworkSimResult:
    """`region_input` is [frames, ...] normal-shaped input of the hardware region (NHWC)."""
    net = net or build_network_code(model, DEFAULT_TOP)
    region = hardware_region(model)
    files = render_network(model, net)
    exe = compile_program(files, f"{net.top}_sim.cpp", cache_dir)
    frames = region_input.shape[0]
    in_spec = net.streams[net.input_tensor]
    flat = np.asarray(region_input).reshape(frames, -1)
    if flat.shape[1] != in_spec.elements:
        raise QnnflowError(
            f"the accelerator input takes {in_spec.elements} elements per frame, "
            f"got {flat.shape[1]}"
        )
    out_node = model.find_producer(net.output_tensor)
    out_shape = model.get_tensor_shape(net.output_tensor)
    with tempfile.TemporaryDirectory(prefix="qnnflow-netsim-") as tmp:
        work = Path(tmp)
        np.ascontiguousarray(flat, dtype="<i8").tofile(work / "in.bin")
        args = [str(frames), str(work / "in.bin"), str(work / "out.bin")]
        if dump:
            args.append(str(work))
        start = time.perf_counter()
        stdout = run_program(exe, args, work)
        seconds = time.perf_counter() - start
        stream = np.fromfile(work / "out.bin", dtype="<i8").reshape(frames, -1)
        streams = {}
        if dump:
            for i, node in enumerate(region):
                data = np.fromfile(work / f"{i}.bin", dtype="<i8")
                streams[node.name] = data.reshape(frames, -1)
    cycles, layer_seconds = {}, {}
    for line in stdout.splitlines():
        if line.startswith("cycles "):
            _, index, count = line.split()
            cycles[region[int(index)].name] = int(count) // max(frames, 1)
        elif line.startswith("seconds "):
            _, index, spent = line.split()
            layer_seconds[region[int(index)].name] = float(spent) / max(frames, 1)
    output = np.stack(
        [stream_to_normal(model, out_node, stream[f], [1, *out_shape[1:]]) for f in range(frames)]
    ).reshape(frames, *out_shape[1:])
    return NetworkSimResult(
        output=output,
        cycles=cycles,
        layer_streams=streams,
        seconds=seconds,
        layer_seconds=layer_seconds,
    )


def _host_part(model: ModelWrapper, region: list) -> tuple:
    nodes = list(model.graph.node)
    first, last = nodes.index(region[0]), nodes.index(region[-1])
    before = nodes[first - 1] if first > 0 else None
    after = nodes[last + 1] if last + 1 < len(nodes) else None
    return before, after


def execute_cpp(
    model: ModelWrapper, x: np.ndarray, dump: bool = False, cache_dir: Path | None = None
) -> tuple[dict[str, np.ndarray], NetworkSimResult]:
    """Execute a whole graph with its hardware region in C++ and any host ops (before and
    after it) with qonnx; returns every tensor of the execution and the simulation result."""
    region = hardware_region(model)
    net = build_network_code(model)
    before, after = _host_part(model, region)
    inp = model.graph.input[0].name
    context = {inp: x}
    if before is not None:
        context = execute_onnx(model, {inp: x}, return_full_exec_context=True, end_node=before)
    region_in = context[net.input_tensor]
    sim = simulate_network(model, region_in[None], net=net, dump=dump, cache_dir=cache_dir)
    shape = model.get_tensor_shape(net.output_tensor)
    context[net.output_tensor] = sim.output[0].reshape(shape).astype(np.float32)
    if after is not None:
        known = {k: v for k, v in context.items() if v is not None}
        context = execute_onnx(model, known, return_full_exec_context=True, start_node=after)
    return context, sim


@dataclass(frozen=True)
class Mismatch:
    layer: str
    op_type: str
    index: tuple[int, ...]  # position in the layer's normal output (N, H, W, C)
    expected: float
    actual: float
    count: int

    def __str__(self) -> str:
        return (
            f"{self.op_type} '{self.layer}': {self.count} mismatching elements, first at "
            f"{self.index} (N, ..., C): expected {self.expected:g}, C++ gave {self.actual:g}"
        )


def first_mismatch(model: ModelWrapper, x: np.ndarray, cache_dir: Path | None = None):
    """Run numpy (qonnx) and C++ on the same input and return the first hardware layer whose
    stream differs (None when every layer is bit-exact), plus the simulation result."""
    expected = execute_onnx(model, {model.graph.input[0].name: x}, return_full_exec_context=True)
    _, sim = execute_cpp(model, x, dump=True, cache_dir=cache_dir)
    for node in hardware_region(model):
        shape = model.get_tensor_shape(node.output[0])
        want = normal_to_stream(model, node, expected[node.output[0]].reshape(shape))
        if node.name not in sim.layer_streams:
            raise QnnflowError(f"'{node.name}': the C++ simulation wrote no stream to compare")
        got = sim.layer_streams[node.name][0]
        if got.size != want.size:
            raise QnnflowError(
                f"'{node.name}': C++ wrote {got.size} elements, expected {want.size}"
            )
        bad = np.flatnonzero(got != want)
        if bad.size:
            # which normal-order element each stream position carries
            where = normal_to_stream(model, node, np.arange(int(np.prod(shape))).reshape(shape))
            pos = np.unravel_index(int(where[bad[0]]), shape)
            mismatch = Mismatch(
                layer=node.name,
                op_type=node.op_type,
                index=tuple(int(i) for i in pos),
                expected=float(want[bad[0]]),
                actual=float(got[bad[0]]),
                count=int(bad.size),
            )
            return mismatch, sim
    return None, sim
