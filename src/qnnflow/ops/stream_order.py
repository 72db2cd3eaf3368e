"""The one stream-order rule: which channel groups and frame copies each hardware stream
carries, asked of the ops along the graph (used by folding, codegen, the C++ simulation's
comparison and the deploy export alike).

A MatrixVectorUnit with mem_mode stream_ddr emits its frame channel-group-major: for each of
its G = MH/PE channel groups, every pixel's PE channels (the arithmetic is
qnnflow.packing.to_group_major). Per-channel ops pass that order on; a SlidingWindow or an
on-chip MatrixVectorUnit restores NHWC (G = 1): each op says so in
`HWOp.output_channel_groups`. A SlidingWindow in front of a stream_ddr MatrixVectorUnit
sends its windows frameReplays times; FIFOs and width converters between them pass every
copy on (`HWOp.output_frame_replays`).
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.ops.base import DOMAIN
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.packing import from_group_major, to_group_major


def _hw_producer(model: ModelWrapper, node):
    producer = model.find_producer(node.input[0]) if node.input and node.input[0] else None
    return producer if producer is not None and producer.domain == DOMAIN else None


def input_channel_groups(model: ModelWrapper, node) -> int:
    """G of the stream entering `node` (1 for normal NHWC order or a host producer)."""
    producer = _hw_producer(model, node)
    return 1 if producer is None else output_channel_groups(model, producer)


def output_channel_groups(model: ModelWrapper, node) -> int:
    """G of `node`'s output stream."""
    return hw_op(node).output_channel_groups(input_channel_groups(model, node))


def tensor_channel_groups(model: ModelWrapper, tensor: str) -> int:
    """G of the stream carrying `tensor` (any input of a node with several: concat, add)."""
    producer = model.find_producer(tensor)
    if producer is None or producer.domain != DOMAIN:
        return 1
    return output_channel_groups(model, producer)


def input_frame_replays(model: ModelWrapper, node) -> int:
    """Copies of each frame on the stream entering `node`."""
    producer = _hw_producer(model, node)
    return 1 if producer is None else output_frame_replays(model, producer)


def output_frame_replays(model: ModelWrapper, node) -> int:
    """Copies of each frame on `node`'s output stream."""
    return hw_op(node).output_frame_replays(input_frame_replays(model, node))


def sync_passthrough_replays(model: ModelWrapper) -> None:
    """Tell every stream-moving op (FIFO, width converter) how many copies of each frame it
    passes (its frameReplays), so its own cycles count them all. One pass in node order,
    each output's copies kept (what input_frame_replays would find walking upstream from
    every node: quadratic on a deep graph); a producer listed after its reader is asked."""
    nodes = hw_nodes(model)
    producers = {tensor: node for node in nodes for tensor in node.output}
    copies: dict[str, int] = {}  # hardware output tensor -> copies of each frame
    for node in nodes:
        tensor = node.input[0] if node.input else ""
        if tensor in copies:
            incoming = copies[tensor]
        elif tensor in producers:
            incoming = output_frame_replays(model, producers[tensor])
        else:
            incoming = 1
        op = hw_op(node)
        if op.PLUMBING:
            op.set_nodeattr("frameReplays", incoming)
        out = op.output_frame_replays(incoming)
        copies.update(dict.fromkeys(node.output, out))


def normal_to_stream_once(model: ModelWrapper, node, normal: np.ndarray) -> np.ndarray:
    """One copy of what `normal_to_stream` gives: the stream repeats it
    `output_frame_replays` times (compare copy by copy rather than tiling a huge stream)."""
    groups = output_channel_groups(model, node)
    return to_group_major(normal.reshape(1, -1, normal.shape[-1]), groups)[0]


def normal_to_stream(model: ModelWrapper, node, normal: np.ndarray) -> np.ndarray:
    """A node's normal-shaped output [1, ..., C] as the element sequence its stream carries."""
    return np.tile(normal_to_stream_once(model, node, normal), output_frame_replays(model, node))


def stream_to_normal(model: ModelWrapper, node, stream: np.ndarray, shape) -> np.ndarray:
    """Inverse of `normal_to_stream` for one frame (its first copy)."""
    size = int(np.prod(shape))
    groups = output_channel_groups(model, node)
    return from_group_major(stream[None, :size], tuple(shape), groups).reshape(shape)
