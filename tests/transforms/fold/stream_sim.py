"""A word-level dataflow simulation of a hardware graph, independent of the FIFO depth rule:
it tells whether the streams deadlock with the FIFOs in the graph.

Each node emits output word k once it has read need_i(k) words of each input i and every
output has room; it reads ahead of that by at most `ahead` words (its line buffer, kept
small here, which makes deadlocks more likely than in hardware, never less). The edges are
one-word registers, a StreamingFIFO holds `depth` words. Graph inputs are always ready and
graph outputs always drained. Needs are derived from each op's raster-order geometry."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

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
    _, oh, ow, _ = op.normal_output_shape()
    in_pp = op.folded_input_shape()[-2]
    out_pp = op.folded_output_shape()[-2]
    ys, xs = _grid(oh, ow)
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
    raise ValueError(f"stream_sim: no model for {kind}")


def simulate(model: ModelWrapper, max_cycles: int = 200_000) -> tuple[bool, int]:
    """(finished without deadlock, cycles taken)."""
    nodes = hw_nodes(model)
    sources = {t for n in nodes for t in n.input if model.get_initializer(t) is None}
    sources -= {t for n in nodes for t in n.output}
    state = []
    for node in nodes:
        op = hw_op(node)
        needs, ahead = _needs(op)
        streams = [t for t in node.input if model.get_initializer(t) is None]
        state.append((node, streams, needs, ahead, [0] * len(streams), [0], len(needs[0])))
    fill = {t: 0 for n in nodes for t in n.output}  # words waiting on each edge register
    consumers = {t: [] for t in fill}
    for node in nodes:
        for t in node.input:
            if t in consumers:
                consumers[t].append(node.name)
    for cycle in range(max_cycles):
        progress = False
        for node, streams, needs, ahead, read, emitted, total in state:
            for i, t in enumerate(streams):  # read one word per input per cycle
                limit = needs[i][min(emitted[0], total - 1)] + ahead[i]
                available = t in sources or fill[t] > 0
                if available and read[i] < min(limit, needs[i][-1]):
                    if t not in sources:
                        fill[t] -= 1
                    read[i] += 1
                    progress = True
            k = emitted[0]
            if k < total and all(read[i] >= needs[i][k] for i in range(len(streams))):
                outs = [t for t in node.output if consumers[t]]  # else drained by the host
                if all(fill[t] == 0 for t in outs):
                    for t in outs:
                        fill[t] += 1
                    emitted[0] += 1
                    progress = True
        if all(e[0] == total for *_, e, total in state):
            return True, cycle
        if not progress:
            return False, cycle
    return False, max_cycles
