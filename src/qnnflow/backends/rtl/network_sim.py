"""Whole-network RTL simulation with Verilator: each layer alone on numpy's own input of that
layer (so a wrong layer is named, not the first one its error reaches), then the stitched
core (`<top>_core`, every layer wired as in hardware) on the region's input, with and
without random input gaps and output backpressure; every stream is compared bit for bit
with the numpy execution of the folded graph, and cycles per frame are measured."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.analysis.hardware_region import grouped_nodes, hardware_region
from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.backends.hls.network import DEFAULT_TOP
from qnnflow.backends.rtl.ddr_model import attach_ddr
from qnnflow.backends.rtl.layer_sim import RtlSimResult, run_design, simulate_layer
from qnnflow.backends.rtl.network import RtlNetworkCode, build_rtl_network, core_sources
from qnnflow.backends.rtl.testbench import DEADLOCK_CYCLES, render_testbench
from qnnflow.ops.stream_order import normal_to_stream, normal_to_stream_once, stream_to_normal
from qnnflow.util import progress
from qnnflow.util.node_by_node import NodeByNode


@dataclass(frozen=True)
class RtlMismatch:
    """The first differing element of a stream: its frame, word and lane in the stream, and
    its position in the tensor's normal (N, ..., C) layout (N = the frame)."""

    layer: str
    op_type: str
    frame: int
    word: int
    lane: int
    index: tuple[int, ...]
    expected: int
    actual: int
    count: int

    def __str__(self) -> str:
        return (
            f"{self.op_type} '{self.layer}': {self.count} mismatching elements, first in frame "
            f"{self.frame} word {self.word} element {self.lane} = {self.index} (N, ..., C): "
            f"expected {self.expected}, RTL gave {self.actual}"
        )


@dataclass(frozen=True)
class LayerReport:
    layer: str
    op_type: str
    cycles_rtl: int
    cycles_estimate: int
    mismatch: RtlMismatch | None


@dataclass(frozen=True)
class RtlNetworkResult:
    outputs: dict[str, np.ndarray]  # region output tensor -> [frames, ...] normal (NHWC)
    layers: tuple[LayerReport, ...]  # empty when the layers were not simulated one by one
    output_mismatch: RtlMismatch | None  # the stitched core's outputs vs numpy
    cycles_per_frame: int  # stitched core, no gaps or backpressure
    latency: int
    stressed_cycles_per_frame: int | None  # with the random gaps/backpressure asked for

    @property
    def first_mismatch(self) -> RtlMismatch | None:
        """The first layer that differs, else the stitched outputs' first difference."""
        bad = [r.mismatch for r in self.layers if r.mismatch is not None]
        return bad[0] if bad else self.output_mismatch

    @property
    def bit_exact(self) -> bool:
        return self.first_mismatch is None

    def to_dict(self) -> dict:
        """The rtlsim.json record: per-layer cycles and verdicts, then the stitched top."""
        return {
            "bit_exact": self.bit_exact,
            "first_mismatch": None if self.bit_exact else str(self.first_mismatch),
            "cycles_per_frame": self.cycles_per_frame,
            "stressed_cycles_per_frame": self.stressed_cycles_per_frame,
            "latency": self.latency,
            "layers": [
                {
                    "layer": r.layer,
                    "op": r.op_type,
                    "cycles_rtl": r.cycles_rtl,
                    "cycles_estimate": r.cycles_estimate,
                    "difference": r.cycles_rtl - r.cycles_estimate,
                    "bit_exact": r.mismatch is None,
                    "first_mismatch": None if r.mismatch is None else asdict(r.mismatch),
                }
                for r in self.layers
            ],
        }


def reference_tensors(model: ModelWrapper, inputs: list[np.ndarray]) -> list[dict]:
    """Per frame, numpy's value of every tensor the hardware region reads or writes."""
    region = hardware_region(model)
    keep = {t for n in region for t in (*n.input, *n.output) if t}
    frames = []
    for x in inputs:
        run = NodeByNode(
            model, {model.graph.input[0].name: x}, keep=keep, order=grouped_nodes(model)
        )
        run.run_until(region[-1])
        run.run()
        frames.append({t: run.context[t] for t in keep if t in run.context})
    return frames


def tensor_stream(model: ModelWrapper, tensor: str, value: np.ndarray, region_names) -> np.ndarray:
    """The elements of `tensor` in the order its stream carries them."""
    producer = model.find_producer(tensor)
    if producer is None or producer.name not in region_names:
        return np.asarray(value).reshape(-1)  # the region input arrives in normal order
    return normal_to_stream(
        model, producer, np.asarray(value).reshape(model.get_tensor_shape(tensor))
    )


def compare_stream(
    model: ModelWrapper, tensor: str, spec: StreamSpec, got: np.ndarray, want: np.ndarray, node
) -> RtlMismatch | None:
    """Compare [frames, elements] streams of `tensor` (written by `node`); None when equal."""
    bad = np.argwhere(got != want)
    if not bad.size:
        return None
    frame, position = (int(v) for v in bad[0])
    shape = model.get_tensor_shape(tensor)
    where = normal_to_stream_once(model, node, np.arange(int(np.prod(shape))).reshape(shape))
    index = np.unravel_index(int(where[position % where.size]), shape)
    return RtlMismatch(
        layer=node.name,
        op_type=node.op_type,
        frame=frame,
        word=position // spec.per_word,
        lane=position % spec.per_word,
        index=(frame, *(int(i) for i in index[1:])),
        expected=int(want[frame, position]),
        actual=int(got[frame, position]),
        count=int(len(bad)),
    )


def _layer_reports(
    model: ModelWrapper, net: RtlNetworkCode, refs: list[dict], cache_dir: Path | None
) -> tuple[LayerReport, ...]:
    region, names = hardware_region(model), set(net.node_names)
    layers = progress.track(list(zip(region, net.layers, strict=True)), "Verilator, layers")
    return tuple(_layer_report(model, node, code, refs, names, cache_dir) for node, code in layers)


def _layer_report(
    model: ModelWrapper, node, code, refs: list[dict], names: set, cache_dir: Path | None
) -> LayerReport:
    """One layer alone on numpy's input, compared with numpy's output. Its own function so
    that its streams (GBs for a frame-buffered window replaying a frame 256 times) are freed
    before the next layer runs, and its input before its output is compared."""
    data_inputs = [t for t in node.input if t and model.get_initializer(t) is None]
    feeds = [
        np.stack([tensor_stream(model, t, ref[t], names) for ref in refs]) for t in data_inputs
    ]
    result = simulate_layer(code, feeds, cache_dir=cache_dir)
    del feeds
    mismatch, start = None, 0
    for tensor, spec in zip(node.output, code.outputs, strict=True):
        want = np.stack([tensor_stream(model, tensor, ref[tensor], names) for ref in refs])
        got = result.stream[:, start : start + want.shape[1]]
        start += want.shape[1]
        mismatch = mismatch or compare_stream(model, tensor, spec, got, want, node)
        del want, got
    estimate = getCustomOp(node).cycles()
    return LayerReport(node.name, node.op_type, result.cycles_per_frame, estimate, mismatch)


def quiet_cycles(model: ModelWrapper) -> int:
    """How long the stitched core may go without a word crossing its boundary before the
    testbench calls it a deadlock: filling a pipeline of frame buffers (a layer that reads a
    whole frame, then replays it) can take up to one frame of every layer in a row, far more
    than one layer's quiet time; twice that, plus the per-layer limit, for slack."""
    fill = sum(getCustomOp(n).cycles() for n in hardware_region(model))
    return DEADLOCK_CYCLES + 2 * int(fill)


def core_design(model: ModelWrapper, net: RtlNetworkCode) -> tuple[dict, dict, str]:
    """The stitched core's sources (with a DDR model on its AXI4 read ports, the same as a
    layer's), its memory files and its testbench."""
    ddr = attach_ddr(net.mm_ports)
    sources = {**core_sources(model, net), **ddr.sources}
    files = {n: t for code in net.layers for n, t in code.files.items()}
    bench = render_testbench(
        net.core, net.inputs, net.outputs, ddr.port_connections, ddr.declarations
    )
    return sources, files, bench


def run_core(
    model: ModelWrapper,
    net: RtlNetworkCode,
    feed: np.ndarray,
    *,
    gaps: float = 0.0,
    stalls: float = 0.0,
    seed: int = 1,
    cache_dir: Path | None = None,
) -> RtlSimResult:
    """Stream `feed` ([frames, region input elements]) through the stitched core."""
    sources, files, bench = core_design(model, net)
    with progress.task(f"Verilator {net.core}, {len(feed)} frame(s)"):
        return run_design(
            net.core, sources, files, net.inputs, net.outputs, [feed], bench,
            gaps=gaps, stalls=stalls, seed=seed, cache_dir=cache_dir,
            timeout_cycles=quiet_cycles(model),
        )  # fmt: skip


def simulate_network_rtl(
    model: ModelWrapper,
    inputs: list[np.ndarray],
    *,
    gaps: float = 0.3,
    stalls: float = 0.3,
    seed: int = 1,
    per_layer: bool = True,
    cache_dir: Path | None = None,
    top: str = DEFAULT_TOP,
) -> RtlNetworkResult:
    """`inputs`: graph inputs (each of the model's input shape), one frame each; a single
    one is sent twice, since the steady-state interval needs two frames."""
    net = build_rtl_network(model, top)
    inputs = list(inputs) * (2 if len(inputs) == 1 else 1)
    refs = reference_tensors(model, inputs)
    region, names = hardware_region(model), set(net.node_names)
    layers = _layer_reports(model, net, refs, cache_dir) if per_layer else ()
    feed = np.stack([np.asarray(ref[net.input_tensor]).reshape(-1) for ref in refs])

    def run(g: float, s: float) -> RtlSimResult:
        return run_core(model, net, feed, gaps=g, stalls=s, seed=seed, cache_dir=cache_dir)

    plain = run(0.0, 0.0)
    stressed = run(gaps, stalls) if gaps or stalls else None
    outputs, mismatch, start = {}, None, 0
    by_output = {t: n for n in region for t in n.output}
    for tensor, spec in zip(net.output_tensors, net.outputs, strict=True):
        node = by_output[tensor]
        want = np.stack([tensor_stream(model, tensor, ref[tensor], names) for ref in refs])
        for result in (plain, stressed):
            if result is not None:
                got = result.stream[:, start : start + want.shape[1]]
                mismatch = mismatch or compare_stream(model, tensor, spec, got, want, node)
        shape = model.get_tensor_shape(tensor)
        got = plain.stream[:, start : start + want.shape[1]]
        outputs[tensor] = np.stack(
            [stream_to_normal(model, node, got[f], [1, *shape[1:]]) for f in range(len(refs))]
        ).reshape(len(refs), *shape[1:])
        start += want.shape[1]
    return RtlNetworkResult(
        outputs=outputs,
        layers=layers,
        output_mismatch=mismatch,
        cycles_per_frame=plain.cycles_per_frame,
        latency=plain.latency,
        stressed_cycles_per_frame=None if stressed is None else stressed.cycles_per_frame,
    )
