"""FIFO depths where forked hardware branches meet again (a join: StreamingConcat).

Why: a DuplicateStreams fork passes a word on only when every branch accepts it. If one
branch must swallow a lot of input before it emits anything (a SlidingWindow fills K-1
rows, a max-pool K-1 rows, a frame-buffered layer a whole frame), the join waits for that
branch while the other branch's words pile up in front of the join. Once they no longer
fit, the fork stalls, the slow branch starves, and the pipeline deadlocks.

The bound: every node delays its stream by d = (input words it consumes before its first
output word + 1) / (input words per frame), a fraction of a frame (each op says what it
swallows: `HWOp.fill_words`); raster order makes fractions add along a path. The first word
of a stream arrives at A = max over the node's stream inputs (A_in) + d (0 at the
accelerator's inputs). A join input i whose
branch arrives lag_i = max_j A_j - A_i of a frame early must hold lag_i * W_i words, W_i
its words per frame, so its FIFO gets ceil(lag_i * W_i) + the base depth. Words held
inside the early branch's own line buffers are not counted (conservative), and pipeline
latency that costs time but not data (an MVU's compute) only slows the fork: the
word-level simulation (fifo_sim, InsertFIFOs(fifo_sizing="sim")) refines the bound to
the smallest depths that keep the graph live and at full throughput.
"""

from __future__ import annotations

import math

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.ops import DOMAIN
from qnnflow.ops.graph_queries import hw_nodes, hw_op


def _stream_inputs(model: ModelWrapper, node) -> list[tuple[int, str]]:
    """(index, tensor) of every input that is a stream rather than a constant."""
    return [(i, t) for i, t in enumerate(node.input) if t and model.get_initializer(t) is None]


def arrival_fractions(model: ModelWrapper) -> dict[str, float]:
    """Fraction of a frame after which the first word of each hardware output appears."""
    arrival: dict[str, float] = {}
    for node in hw_nodes(model):  # topological order
        op = hw_op(node)
        start = max((arrival.get(t, 0.0) for _, t in _stream_inputs(model, node)), default=0.0)
        delay = (op.fill_words() + 1) / max(op.words_per_frame(), 1)
        for tensor in node.output:
            arrival[tensor] = start + delay
    return arrival


def join_fifo_depths(model: ModelWrapper, base: int) -> dict[tuple[str, int], int]:
    """{(join node name, input index): FIFO depth} for every hardware node with several
    stream inputs fed by hardware (see the module docstring for the bound)."""
    arrival = arrival_fractions(model)
    depths = {}
    for node in hw_nodes(model):
        inputs = [
            (i, t)
            for i, t in _stream_inputs(model, node)
            if (p := model.find_producer(t)) is not None and p.domain == DOMAIN
        ]
        if len(inputs) < 2:
            continue
        op = hw_op(node)
        latest = max(arrival[t] for _, t in inputs)
        for index, tensor in inputs:
            lag = latest - arrival[tensor]
            depths[(node.name, index)] = math.ceil(lag * op.words_per_frame(index)) + base
    return depths
