"""Small graph queries over hardware nodes shared by the folding transforms."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.ops import DOMAIN, HWOp


def hw_nodes(model: ModelWrapper) -> list:
    return [n for n in model.graph.node if n.domain == DOMAIN]


def hw_op(node) -> HWOp:
    return getCustomOp(node)


def producer_of_type(model: ModelWrapper, node, op_type: str):
    """The node feeding `node`'s first input if it has `op_type`, else None."""
    producer = model.find_producer(node.input[0])
    return producer if producer is not None and producer.op_type == op_type else None


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]
