"""Insert a StreamingFIFO on every stream between two hardware nodes:
producer -> consumer  ==>  producer -> StreamingFIFO(depth) -> consumer.

Depth rule: a linear pipeline with back-pressure cannot deadlock, so there FIFO depth only
changes throughput: every FIFO gets `depth` words (default 2, a register slice), or where
its producer writes or its consumer takes bursts (`HWOp.burst_words`, e.g. a sliding
window's output rows of windows and input rows) BURSTS bursts, rounded up to what its memory
holds at that cost: with depth 2 behind every sliding window, the stitched RTL of the
default model ran 2.57x slower than its slowest layer (each layer's pauses add up instead of
overlapping; measured with fifo_sizing="rtlsim", which sizes from a simulation). Where
forked branches join again (a StreamingConcat fed by a DuplicateStreams' outputs), the
early branch's FIFO in front of the join gets ceil(lag * words per frame) + `depth`, the
bound of `branch_latency` (below it the fork stalls and the pipeline deadlocks).
With `fifo_sizing="sim"` the join FIFOs then shrink to the smallest depths with which a
word-level simulation of the folded graph (fifo_sim, `sim_frames` frames) neither
deadlocks nor loses throughput; the lag bound stays the upper bound and the fallback
(the default, "lag", since the simulation costs seconds on large frames).
With `fifo_sizing="rtlsim"` every FIFO is sized from a Verilator simulation of the stitched
RTL core (fifo_rtlsim: the most words each held with deep FIFOs, re-checked); it needs an
RTL renderer for every hardware op and costs two or more Verilator builds.
`depths` overrides any FIFO: keyed by the consumer's name for its first input,
`"<consumer>:<i>"` for input i. A stream with several hardware
readers must go through a DuplicateStreams first (ConvertToHW inserts them)."""

from __future__ import annotations

import math

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.ops.stream_order import output_frame_replays, sync_passthrough_replays
from qnnflow.transforms.fold.branch_latency import join_fifo_depths
from qnnflow.transforms.fold.fifo_rtlsim import free_depth, size_fifos_rtlsim
from qnnflow.transforms.fold.fifo_sim import smallest_join_depths
from qnnflow.util.names import new_tensor_name


def _stream_edges(model: ModelWrapper) -> list[tuple]:
    """(producer, consumer, input index) for every hardware-to-hardware stream."""
    edges = []
    for consumer in hw_nodes(model):
        if consumer.op_type == "StreamingFIFO":
            continue
        for index, tensor in enumerate(consumer.input):
            producer = model.find_producer(tensor) if tensor else None
            if producer is None or producer.domain != DOMAIN:
                continue
            if producer.op_type == "StreamingFIFO":
                continue
            readers = [n for n in model.find_consumers(tensor) if n.domain == DOMAIN]
            if len(readers) > 1 or list(consumer.input).count(tensor) > 1:
                raise QnnflowError(
                    f"stream '{tensor}' of {producer.name} has several hardware readers; "
                    "insert a DuplicateStreams fork first (InsertStreamDuplicators)"
                )
            edges.append((producer, consumer, index))
    return edges


SIZINGS = ("lag", "sim", "rtlsim")
BURSTS = 3  # bursts a FIFO next to a bursty op holds (2 left the default model 7% slow)


class InsertFIFOs(Transformation):
    def __init__(
        self,
        depth: int = 2,
        depths: dict[str, int] | None = None,
        fifo_sizing: str = "lag",
        sim_frames: int = 2,
    ):
        super().__init__()
        if fifo_sizing not in SIZINGS:
            raise QnnflowError(f"fifo_sizing must be one of {SIZINGS}, got {fifo_sizing!r}")
        self.fifo_sizing = fifo_sizing
        self.sim_frames = sim_frames
        if depth < 1:
            raise QnnflowError(f"FIFO depth must be >= 1, got {depth}")
        bad = {k: v for k, v in (depths or {}).items() if int(v) < 1}
        if bad:
            raise QnnflowError(f"FIFO depths must be >= 1, got {bad}")
        self.depth = depth
        self.depths = depths or {}

    def _depth(self, model: ModelWrapper, consumer, index: int, joins: dict) -> int:
        key = consumer.name if index == 0 else f"{consumer.name}:{index}"
        if key in self.depths:
            return int(self.depths[key])
        if (consumer.name, index) in joins:
            return joins[(consumer.name, index)]
        return self._burst_depth(model, consumer, index)

    def _burst_depth(self, model: ModelWrapper, consumer, index: int) -> int:
        """`depth`, or BURSTS bursts of the producer's output (less what the consumer takes
        meanwhile at its average rate) or of the consumer's input, whichever is more (the
        words an upstream bottleneck writes while the consumer pauses between its input
        bursts: the immediate producer may be a fast pass-through such as a ZeroPad)."""
        producer = model.find_producer(consumer.input[index])
        out_op, in_op = hw_op(producer), hw_op(consumer)
        words = int(np.prod(out_op.folded_output_shape()[:-1]))
        frame = words * output_frame_replays(model, producer)
        taken = min(1.0, frame / max(1, in_op.cycles()))  # the consumer's words per cycle
        burst = max(out_op.burst_words()[1] * (1.0 - taken), in_op.burst_words()[0])
        need = math.ceil(BURSTS * burst)
        if need <= self.depth:
            return self.depth
        return free_depth(min(frame, need), out_op.outstream_width_bits())

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        edges = _stream_edges(model)
        joins = join_fifo_depths(model, self.depth)
        for producer, consumer, index in edges:
            tensor = consumer.input[index]
            out_op = hw_op(producer)
            shape = [int(d) for d in model.get_tensor_shape(tensor)]
            name = f"{consumer.name}_fifo" + (str(index) if index else "")
            buffered = new_tensor_name(model, f"{name}_out")
            node = helper.make_node(
                "StreamingFIFO",
                [tensor],
                [buffered],
                name=name,
                domain=DOMAIN,
                shape=shape,
                depth=self._depth(model, consumer, index, joins),
                elemsPerWord=out_op.folded_output_shape()[-1],
                inputDataType=out_op.output_dtype().name,
                outputDataType=out_op.output_dtype().name,
            )
            model.graph.node.insert(list(model.graph.node).index(consumer), node)
            consumer.input[index] = buffered
            model.set_tensor_shape(buffered, shape)
            model.set_tensor_datatype(buffered, out_op.output_dtype())
        sync_passthrough_replays(model)
        keep = frozenset(
            n.name
            for n in hw_nodes(model)
            if n.op_type == "StreamingFIFO" and self._overridden(model, n)
        )
        fifos = sum(n.op_type == "StreamingFIFO" for n in hw_nodes(model))
        if self.fifo_sizing == "sim":
            smallest_join_depths(model, self.sim_frames, keep)
        elif self.fifo_sizing == "rtlsim" and len(keep) < fifos:
            size_fifos_rtlsim(model, keep, frames=max(3, self.sim_frames))
        return model, False

    def _overridden(self, model: ModelWrapper, fifo) -> bool:
        """Whether `depths` names the FIFO (by its consumer and input index)."""
        return any(key in self.depths for key in _fifo_keys(model, fifo))


def _fifo_keys(model: ModelWrapper, fifo) -> list[str]:
    """The `depths` keys of a FIFO: its consumer's name, with ":<i>" for input i > 0."""
    keys = []
    for consumer in model.find_consumers(fifo.output[0]):
        index = list(consumer.input).index(fifo.output[0])
        keys.append(consumer.name if index == 0 else f"{consumer.name}:{index}")
    return keys


def fifo_depths(model: ModelWrapper) -> dict[str, int]:
    """Every FIFO's depth keyed as `depths` takes them, so a build can re-apply them."""
    return {
        key: int(hw_op(n).get_nodeattr("depth"))
        for n in hw_nodes(model)
        if n.op_type == "StreamingFIFO"
        for key in _fifo_keys(model, n)
    }
