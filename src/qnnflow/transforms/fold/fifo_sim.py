"""A word-level dataflow simulation of a folded hardware graph, independent of the FIFO depth
rule: it tells whether the streams deadlock with the FIFOs in the graph, and how many cycles
`frames` frames take (the throughput a depth must keep).

Each node emits output word k once it has read need_i(k) words of each input i, every
output has room, and at least II cycles have passed since its last word (II = the op's
cycles per frame / its output words per frame, at least 1: folding and frame replays slow
it down that way); it reads at most one word per input per cycle, and ahead of need_i(k) by
at most `ahead` words (its line buffer, kept small here, which makes deadlocks more likely
than in hardware, never less). The edges are one-word registers (ready/valid), a
StreamingFIFO holds `depth` words. Graph inputs are always ready and graph outputs always
drained. Needs are derived from each op's raster-order geometry (a frame-buffered window
generator needs the whole frame first); frame f needs what frame 0 needs plus f frames.

`smallest_join_depths` uses it to find, per FIFO in front of a join, the smallest depth with
which the graph neither deadlocks nor slows down (compared with the graph as given, e.g.
with the lag bound of branch_latency: the upper bound of the search)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.ops.graph_queries import hw_nodes, hw_op


def _pixel_needs(last_pixel: np.ndarray, in_per_pixel: int, out_per_pixel: int) -> np.ndarray:
    """Per output word: input words up to and including raster pixel `last_pixel` of it."""
    return np.repeat((last_pixel + 1) * in_per_pixel, out_per_pixel)


def _grid(oh: int, ow: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.meshgrid(np.arange(oh), np.arange(ow), indexing="ij")
    return ys.ravel(), xs.ravel()


def _needs(op) -> tuple[list[np.ndarray], list[int]]:
    """(per input: words needed before each output word, per input: read-ahead words)."""
    kind = op.onnx_node.op_type
    words_out = int(np.prod(op.folded_output_shape()[:-1]))
    if kind in ("StreamingFIFO", "DuplicateStreams"):
        ahead = op.get_nodeattr("depth") if kind == "StreamingFIFO" else 1
        return [np.arange(1, words_out + 1)], [ahead]
    if kind == "WidthConverter":
        ratio = op.folded_output_shape()[-1] / op.folded_input_shape()[-1]
        return [np.ceil(np.arange(1, words_out + 1) * ratio).astype(np.int64)], [1]
    _, oh, ow, _ = op.normal_output_shape()
    in_pp = op.folded_input_shape()[-2]
    out_pp = op.folded_output_shape()[-2]
    ys, xs = _grid(oh, ow)
    if kind == "SlidingWindow" and op.get_nodeattr("frameBuffer"):
        whole = int(np.prod(op.folded_input_shape()[:-1]))
        return [np.full(words_out, whole)], [whole]
    if kind == "SlidingWindow":
        (_, w), (kh, kw), (sh, sw) = (
            op.get_nodeattr("IFMDim"),
            op.get_nodeattr("ConvKernelDim"),
            op.get_nodeattr("Stride"),
        )
        last = (ys * sh + kh - 1) * w + xs * sw + kw - 1
        return [_pixel_needs(last, in_pp, out_pp)], [w * in_pp]
    if kind == "MatrixVectorUnit":
        return [_pixel_needs(np.arange(oh * ow), in_pp, out_pp)], [in_pp]
    if kind == "StreamingMaxPool":
        h, w = op.get_nodeattr("ImgDim")
        top, left, _, _ = op.get_nodeattr("Pads")
        k, s = op.get_nodeattr("Kernel"), op.get_nodeattr("Stride")
        last_y = np.minimum(ys * s - top + k - 1, h - 1)
        last_x = np.minimum(xs * s - left + k - 1, w - 1)
        return [_pixel_needs(last_y * w + last_x, in_pp, out_pp)], [w * in_pp]
    if kind == "ZeroPad":
        h, w = op.get_nodeattr("ImgDim")
        top, left, _, _ = op.get_nodeattr("Padding")
        iy = ys - top  # input pixels at or before output (y, x) in raster order
        inside = (iy >= 0) & (iy < h)
        before = np.clip(iy, 0, h) * w + np.where(inside, np.clip(xs - left + 1, 0, w), 0)
        return [np.repeat(before * in_pp, out_pp)], [in_pp]
    if kind == "Upsample":
        _, w = op.get_nodeattr("ImgDim")
        fh, fw = op.get_nodeattr("Factor")
        return [_pixel_needs((ys // fh) * w + xs // fw, in_pp, out_pp)], [in_pp]
    if kind == "StreamingConcat":
        simd = op.get_nodeattr("SIMD")
        per = [c // simd for c in op.channels()]
        offsets = np.cumsum([0, *per])
        k = np.arange(words_out)
        pixel, within = k // offsets[-1], k % offsets[-1]
        needs = [pixel * n + np.clip(within - offsets[i] + 1, 0, n) for i, n in enumerate(per)]
        return needs, [0] * len(per)
    raise QnnflowError(f"fifo_sim: no word-level model for {kind} '{op.onnx_node.name}'")


def _frames(needs: list[np.ndarray], frames: int) -> list[np.ndarray]:
    """Needs of `frames` back-to-back frames: frame f needs f whole frames more."""
    return [np.concatenate([n + f * int(n[-1]) for f in range(frames)]) for n in needs]


@dataclass
class SimResult:
    finished: bool  # every node emitted every word of every frame (no deadlock)
    cycles: int  # cycles taken (when not finished: when progress stopped)


def simulate(model: ModelWrapper, frames: int = 1, max_cycles: int = 2_000_000) -> SimResult:
    """Run `frames` frames through the hardware nodes of `model` word by word."""
    nodes = hw_nodes(model)
    sources = {t for n in nodes for t in n.input if model.get_initializer(t) is None}
    sources -= {t for n in nodes for t in n.output}
    state = []
    for node in nodes:
        op = hw_op(node)
        needs, ahead = _needs(op)
        needs = _frames(needs, frames)
        per_frame = int(np.prod(op.folded_output_shape()[:-1]))
        ii = max(1, op.cycles() // max(per_frame, 1))
        streams = [t for t in node.input if model.get_initializer(t) is None]
        state.append((node, streams, needs, ahead, [0] * len(streams), [0, -ii], ii))
    fill = {t: 0 for n in nodes for t in n.output}  # words waiting on each edge register
    consumers = {t: [] for t in fill}
    for node in nodes:
        for t in node.input:
            if t in consumers:
                consumers[t].append(node.name)
    cycle = 0
    while cycle < max_cycles:
        moved, wake = False, None
        for node, streams, needs, ahead, read, emitted, ii in state:
            total = len(needs[0])
            for i, t in enumerate(streams):  # read one word per input per cycle
                limit = needs[i][min(emitted[0], total - 1)] + ahead[i]
                available = t in sources or fill[t] > 0
                if available and read[i] < min(limit, needs[i][-1]):
                    if t not in sources:
                        fill[t] -= 1
                    read[i] += 1
                    moved = True
            k = emitted[0]
            if k < total and all(read[i] >= needs[i][k] for i in range(len(streams))):
                outs = [t for t in node.output if consumers[t]]  # else drained by the host
                if cycle - emitted[1] < ii:  # busy computing: not a deadlock
                    ready = emitted[1] + ii
                    wake = ready if wake is None else min(wake, ready)
                elif all(fill[t] == 0 for t in outs):
                    for t in outs:
                        fill[t] += 1
                    emitted[0], emitted[1] = k + 1, cycle
                    moved = True
        if all(s[5][0] == len(s[2][0]) for s in state):
            return SimResult(True, cycle)
        if not moved and wake is None:
            return SimResult(False, cycle)
        cycle = cycle + 1 if moved else wake  # nothing moves until the next node is ready
    return SimResult(False, max_cycles)


def join_fifos(model: ModelWrapper) -> list:
    """The StreamingFIFO nodes feeding a node with several hardware stream inputs."""
    found = []
    for node in hw_nodes(model):
        producers = [model.find_producer(t) for t in node.input if t]
        hw = [p for p in producers if p is not None and p.domain == node.domain]
        if len(hw) > 1:
            found += [p for p in hw if p.op_type == "StreamingFIFO"]
    return found


def smallest_join_depths(
    model: ModelWrapper, frames: int = 2, keep: frozenset[str] = frozenset()
) -> dict[str, int]:
    """{FIFO name: smallest depth} for every FIFO in front of a join such that `frames`
    frames finish in no more cycles than with the depths the graph has now (which must not
    deadlock: they are the search's upper bound). FIFOs are searched one at a time, each by
    bisection (a deeper FIFO never deadlocks where a shallower one does not); FIFOs named in
    `keep` are not searched. The depths found are set on `model`."""
    reference = simulate(model, frames)
    if not reference.finished:
        raise QnnflowError(
            f"fifo_sim: the graph deadlocks with its current FIFO depths after "
            f"{reference.cycles} cycles; raise the join FIFOs before searching"
        )
    found = {}
    for fifo in (f for f in join_fifos(model) if f.name not in keep):
        op = hw_op(fifo)
        bound = op.get_nodeattr("depth")
        lo, hi = 1, bound
        while lo < hi:
            mid = (lo + hi) // 2
            op.set_nodeattr("depth", mid)
            trial = simulate(model, frames, max_cycles=reference.cycles + 2)
            if trial.finished and trial.cycles <= reference.cycles:
                hi = mid
            else:
                lo = mid + 1
        op.set_nodeattr("depth", lo)  # searched FIFOs keep their depth for the next ones
        found[fifo.name] = lo
    return found
