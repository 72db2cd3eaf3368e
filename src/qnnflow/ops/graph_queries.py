"""Small graph queries over hardware nodes shared by the folding transforms and the ops."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.ops.base import DOMAIN, HWOp, divisors  # noqa: F401 - re-exported


def hw_nodes(model: ModelWrapper) -> list:
    return [n for n in model.graph.node if n.domain == DOMAIN]


def hw_op(node) -> HWOp:
    return getCustomOp(node)


def producer_of_class(model: ModelWrapper, node, cls: type[HWOp]):
    """The hardware node feeding `node`'s first input (looking through stream-moving ops:
    FIFOs, width converters) if its op is a `cls`, else None."""
    producer = model.find_producer(node.input[0])
    while producer is not None and producer.domain == DOMAIN and hw_op(producer).PLUMBING:
        producer = model.find_producer(producer.input[0])
    if producer is None or producer.domain != DOMAIN:
        return None
    return producer if isinstance(hw_op(producer), cls) else None
