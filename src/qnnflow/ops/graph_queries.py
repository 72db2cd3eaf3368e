"""Small graph queries over hardware nodes shared by the folding transforms."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.ops import DOMAIN, HWOp


def hw_nodes(model: ModelWrapper) -> list:
    return [n for n in model.graph.node if n.domain == DOMAIN]


def hw_op(node) -> HWOp:
    return getCustomOp(node)


PASS_THROUGH = ("StreamingFIFO", "WidthConverter")  # ops that move a stream unchanged


def producer_of_type(model: ModelWrapper, node, op_type: str):
    """The node feeding `node`'s first input (looking through FIFOs and width converters)
    if it has `op_type`, else None."""
    producer = model.find_producer(node.input[0])
    while producer is not None and producer.op_type in PASS_THROUGH and op_type not in PASS_THROUGH:
        producer = model.find_producer(producer.input[0])
    return producer if producer is not None and producer.op_type == op_type else None


def input_channel_groups(model: ModelWrapper, node) -> int:
    """G of the stream entering `node`: a MatrixVectorUnit with mem_mode stream_ddr emits its
    frame as G = MH/PE consecutive sub-frames of PE channels (channel-group-major), and the ops
    up to the next SlidingWindow or on-chip MVU receive it so; 1 for normal NHWC order."""
    producer = model.find_producer(node.input[0])
    while producer is not None:
        if producer.op_type == "MatrixVectorUnit":
            op = getCustomOp(producer)
            if op.get_nodeattr("mem_mode") != "stream_ddr":
                return 1
            return op.get_nodeattr("MH") // op.get_nodeattr("PE")
        if producer.op_type == "SlidingWindow":
            return 1
        producer = model.find_producer(producer.input[0])
    return 1


def input_frame_replays(model: ModelWrapper, node) -> int:
    """Copies of each frame on the stream entering `node`: a SlidingWindow's frameReplays
    reach its MatrixVectorUnit through any FIFOs and width converters between them."""
    producer = model.find_producer(node.input[0])
    while producer is not None and producer.op_type in PASS_THROUGH:
        producer = model.find_producer(producer.input[0])
    if producer is not None and producer.op_type == "SlidingWindow":
        return getCustomOp(producer).get_nodeattr("frameReplays")
    return 1


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]
