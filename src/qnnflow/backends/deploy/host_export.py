"""Turn the ONNX/qonnx nodes the host runs into a `HostGraph` (runs here, needs onnx).

Only standard ONNX ops and qonnx's general custom ops (MultiThreshold, Quant, BipolarQuant)
are converted; a node of another domain, a tensor-valued attribute or an op the numpy
kernels lack is refused here, at export, with the op and the node name.
"""

from __future__ import annotations

import numpy as np
from onnx import AttributeProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.driver.host_graph import HostGraph, HostNode
from qnnflow.driver.host_ops import KERNELS
from qnnflow.errors import QnnflowError

HOST_DOMAINS = ("", "ai.onnx", "qonnx.custom_op.general", "finn.custom_op.general")


def _attr_value(node, attr) -> object:
    if attr.type in (AttributeProto.TENSOR, AttributeProto.GRAPH, AttributeProto.TENSORS):
        raise QnnflowError(
            f"{node.op_type} '{node.name}': attribute '{attr.name}' holds a tensor or graph, "
            "which the host graph cannot store (fold constants first)"
        )
    value = helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [v.decode() if isinstance(v, bytes) else v for v in value]
    return value


def uniform_thresholds(thresholds: np.ndarray | None) -> bool:
    """True for one sorted, evenly spaced threshold row shared by every channel (an input
    quantizer's (k - 0.5) * scale steps): the host runs it as one floor per element."""
    if thresholds is None or thresholds.ndim != 2 or thresholds.shape[1] < 2:
        return False
    row = thresholds[0].astype(np.float64)
    steps = np.diff(row)
    if (thresholds != thresholds[0]).any() or (steps <= 0).any():
        return False
    return bool(np.abs(steps - steps.mean()).max() <= 1e-3 * steps.mean())


def host_node(node, model: ModelWrapper | None = None) -> HostNode:
    """One ONNX node as a HostNode, or a QnnflowError naming it. A MultiThreshold with
    uniform thresholds (given the model to read them) becomes a UniformThreshold."""
    if node.domain not in HOST_DOMAINS:
        raise QnnflowError(
            f"{node.op_type} '{node.name}' (domain {node.domain}) cannot run on the host: "
            "only standard ONNX and qonnx general ops are exported"
        )
    if node.op_type not in KERNELS:
        raise QnnflowError(
            f"{node.op_type} '{node.name}': no numpy host kernel for this op "
            f"(supported: {', '.join(sorted(KERNELS))})"
        )
    if len(node.output) != 1:
        raise QnnflowError(f"{node.op_type} '{node.name}': host ops must have one output")
    attrs = {a.name: _attr_value(node, a) for a in node.attribute}
    op = node.op_type
    if op == "MultiThreshold" and model is not None:
        if uniform_thresholds(model.get_initializer(node.input[1])):
            op = "UniformThreshold"
    return HostNode(op, node.name, tuple(node.input), tuple(node.output), attrs)


def needed_nodes(model: ModelWrapper, outputs: list[str], feeds: list[str]) -> list:
    """The nodes that compute `outputs` from `feeds` and initializers, in graph order.

    Slicing by data dependence rather than position keeps a constant-only node (e.g. the
    Quant of a host conv's weights, which may sit anywhere in the node list) with the conv
    that reads it. Reaching the graph input without passing a feed is an error."""
    graph_inputs = {i.name for i in model.graph.input}
    wanted, seen, stack = set(), set(feeds), list(outputs)
    while stack:
        tensor = stack.pop()
        if tensor in seen or not tensor or model.get_initializer(tensor) is not None:
            continue
        seen.add(tensor)
        producer = model.find_producer(tensor)
        if producer is None:
            if tensor in graph_inputs:
                raise QnnflowError(
                    f"host tensor {outputs} depends on the graph input '{tensor}' around the "
                    f"accelerator (fed by {feeds}); the driver cannot run such a host part"
                )
            raise QnnflowError(f"tensor '{tensor}' has no producer")
        wanted.add(producer.name)
        stack.extend(producer.input)
    return [n for n in model.graph.node if n.name in wanted]


def host_graph(
    model: ModelWrapper, nodes: list, inputs: list[str], outputs: list[str]
) -> HostGraph:
    """`nodes` (in order) of `model` as a HostGraph fed by `inputs`, returning `outputs`."""
    converted = tuple(host_node(n, model) for n in nodes)
    inits: dict[str, np.ndarray] = {}
    for node in nodes:
        for tensor in node.input:
            value = model.get_initializer(tensor) if tensor else None
            if value is not None:
                inits[tensor] = np.asarray(value)
    return HostGraph(tuple(inputs), tuple(outputs), converted, inits)
