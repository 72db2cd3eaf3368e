"""Whole-network C++ simulation: compile the stitched layers with g++, run frames through
them, and compare every layer's stream with the numpy execution of the same graph, naming
the first differing layer, pixel and channel.

Memory stays bounded for large networks: the simulator writes each layer's output stream
into a pipe as soon as the layer has run (sim_io.hpp write_record), numpy executes the graph
node by node alongside, dropping tensors no later node needs, and each stream is compared
in chunks against one copy of the expected stream; nothing holds every layer at once."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.hardware_region import grouped_nodes
from qnnflow.backends.hls.gpp import compile_program, run_program
from qnnflow.backends.hls.layer_compare import Mismatch, compare_layer
from qnnflow.backends.hls.layer_records import RecordHeader, RecordReader
from qnnflow.backends.hls.network import (
    DEFAULT_TOP,
    NetworkCode,
    build_network_code,
    hardware_region,
    render_network,
)
from qnnflow.backends.hls.sim_process import streaming_program
from qnnflow.errors import QnnflowError
from qnnflow.ops.stream_order import normal_to_stream, stream_to_normal
from qnnflow.util import progress
from qnnflow.util.node_by_node import NodeByNode

__all__ = [
    "Mismatch",
    "NetworkSimResult",
    "execute_cpp",
    "first_mismatch",
    "normal_to_stream",
    "simulate_network",
    "start_simulation",
]


@dataclass(frozen=True)
class NetworkSimResult:
    outputs: dict[str, np.ndarray]  # region output tensor -> [frames, ...] normal (NHWC)
    cycles: dict[str, int]  # node name -> cycles per frame
    seconds: float  # C++ time spent in the layers, all frames
    layer_seconds: dict[str, float]  # node name -> simulation seconds per frame

    @property
    def output(self) -> np.ndarray:
        """The first region output (the only one of a single-output accelerator)."""
        return next(iter(self.outputs.values()))


class LiveSimulation:
    """A simulation in progress: `records` delivers each layer's stream, frame by frame, in
    layer order; `result` is set once it has finished."""

    def __init__(self, records: RecordReader):
        self.records = records
        self.result: NetworkSimResult | None = None


def _input_elements(net: NetworkCode, region_input: np.ndarray) -> np.ndarray:
    frames = region_input.shape[0]
    flat = np.asarray(region_input).reshape(frames, -1)
    in_spec = net.streams[net.input_tensor]
    if flat.shape[1] != in_spec.elements:
        raise QnnflowError(
            f"the accelerator input takes {in_spec.elements} elements per frame, "
            f"got {flat.shape[1]}"
        )
    return flat


def _result(model: ModelWrapper, net: NetworkCode, frames: int, out: Path, stdout: str):
    region = hardware_region(model)
    rows = np.fromfile(out, dtype="<i8").reshape(frames, -1)
    cycles, layer_seconds = {}, {}
    for line in stdout.splitlines():
        if line.startswith("cycles "):
            _, index, count = line.split()
            cycles[region[int(index)].name] = int(count) // max(frames, 1)
        elif line.startswith("seconds "):
            _, index, spent = line.split()
            layer_seconds[region[int(index)].name] = float(spent) / max(frames, 1)
    outputs, start = {}, 0
    for tensor in net.output_tensors:  # each frame: the outputs one after another
        size = net.streams[tensor].elements
        stream, start = rows[:, start : start + size], start + size
        node, shape = model.find_producer(tensor), model.get_tensor_shape(tensor)
        outputs[tensor] = np.stack(
            [stream_to_normal(model, node, stream[f], [1, *shape[1:]]) for f in range(frames)]
        ).reshape(frames, *shape[1:])
    return NetworkSimResult(
        outputs=outputs,
        cycles=cycles,
        seconds=sum(layer_seconds.values()) * frames,
        layer_seconds=layer_seconds,
    )


def simulate_network(
    model: ModelWrapper,
    region_input: np.ndarray,
    net: NetworkCode | None = None,
    cache_dir: Path | None = None,
) -> NetworkSimResult:
    """`region_input` is [frames, ...] normal-shaped input of the hardware region (NHWC)."""
    net = net or build_network_code(model, DEFAULT_TOP)
    with _prepared_run(model, net, region_input, cache_dir) as (exe, args, work, frames):
        with progress.task(f"C++ simulation, {frames} frame(s)"):
            stdout = run_program(exe, args, work)
        return _result(model, net, frames, work / "out.bin", stdout)


@contextmanager
def _prepared_run(
    model: ModelWrapper, net: NetworkCode, region_input: np.ndarray, cache_dir: Path | None
) -> Iterator[tuple[Path, list[str], Path, int]]:
    """The compiled simulator, its arguments (FRAMES IN OUT) and a temporary folder holding
    the input frames, and the frame count; the folder goes when the run is done."""
    flat = _input_elements(net, region_input)
    exe = compile_program(render_network(model, net), f"{net.top}_sim.cpp", cache_dir)
    with tempfile.TemporaryDirectory(prefix="qnnflow-netsim-") as tmp:
        work = Path(tmp)
        np.ascontiguousarray(flat, dtype="<i8").tofile(work / "in.bin")
        args = [str(flat.shape[0]), str(work / "in.bin"), str(work / "out.bin")]
        yield exe, args, work, flat.shape[0]


@contextmanager
def start_simulation(
    model: ModelWrapper,
    net: NetworkCode,
    region_input: np.ndarray,
    cache_dir: Path | None = None,
) -> Iterator[LiveSimulation]:
    """Run the simulation while the caller reads every layer's stream from `records`
    (read them all: the simulator waits for its reader)."""
    with _prepared_run(model, net, region_input, cache_dir) as (exe, args, work, frames):
        with streaming_program(exe, args, work) as run:
            live = LiveSimulation(RecordReader(run.records))
            yield live
        live.result = _result(model, net, frames, work / "out.bin", run.stdout)


def execute_cpp(
    model: ModelWrapper, x: np.ndarray, cache_dir: Path | None = None
) -> tuple[dict[str, np.ndarray], NetworkSimResult]:
    """Execute a whole graph with its hardware region in C++ and any host ops (before and
    after it) with qonnx; returns the graph's outputs and the simulation result."""
    region = hardware_region(model)
    net = build_network_code(model)
    host = NodeByNode(model, {model.graph.input[0].name: x}, order=grouped_nodes(model))
    host.run_until(region[0])
    region_input = host.context[net.input_tensor][None]
    sim = simulate_network(model, region_input, net=net, cache_dir=cache_dir)
    for node in region:
        host.consumed(node)
    for tensor, value in sim.outputs.items():
        shape = model.get_tensor_shape(tensor)
        host.context[tensor] = value[0].reshape(shape).astype(np.float32)
    context = host.finish()
    return {o.name: context[o.name] for o in model.graph.output}, sim


def _layer_header(records: RecordReader, index: int, node) -> RecordHeader:
    header = records.next_header()
    if header is None or header.layer != index:
        raise QnnflowError(f"'{node.name}': the C++ simulation wrote no stream to compare")
    if header.frame != 0:
        raise QnnflowError(f"'{node.name}': stream of frame {header.frame}, expected frame 0")
    return header


def first_mismatch(
    model: ModelWrapper, x: np.ndarray, cache_dir: Path | None = None
) -> tuple[Mismatch | None, NetworkSimResult]:
    """Run numpy (qonnx, node by node) and C++ on the same input and return the first
    hardware layer whose stream differs (None when every layer is bit-exact), plus the
    simulation result. Streams are compared as the simulator produces them."""
    region = hardware_region(model)
    net = build_network_code(model)
    reference = NodeByNode(model, {model.graph.input[0].name: x}, order=grouped_nodes(model))
    reference.run_until(region[0])
    region_input = reference.context[net.input_tensor][None]
    mismatch = None
    with (
        start_simulation(model, net, region_input, cache_dir) as live,
        progress.task("C++ simulation, layers", len(region)) as layers,
    ):
        for index, node in enumerate(region):
            header = _layer_header(live.records, index, node)
            if mismatch is not None:  # drain the rest; the simulation still counts cycles
                live.records.skip(header)
            else:
                reference.run()
                normal = reference.context[node.output[0]]
                mismatch = compare_layer(model, node, normal, header, live.records)
            layers.advance()
        extra = live.records.next_header()
        if extra is not None:
            raise QnnflowError(f"the C++ simulation wrote a stream for unknown layer {extra.layer}")
    assert live.result is not None
    return mismatch, live.result
