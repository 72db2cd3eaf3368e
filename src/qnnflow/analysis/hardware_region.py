"""The one definition of the accelerator's extent, shared by the to_hw step (which refuses a
graph that breaks it) and code generation (which renders it): the hardware nodes must form
one contiguous stretch of the topological node order, entered by one stream and left by one.
Host nodes before the first hardware node and after the last run on the ARM; a host node
between two hardware nodes would cut the accelerator in two."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.ops.base import DOMAIN

BEFORE, INSIDE, AFTER, NO_HARDWARE = "before", "inside", "after", "no hardware"


def is_hardware(node) -> bool:
    return node.domain == DOMAIN


def hardware_span(model: ModelWrapper) -> tuple[int, int] | None:
    """(first, last) positions of hardware nodes in the node list, None without any."""
    positions = [i for i, n in enumerate(model.graph.node) if is_hardware(n)]
    return (positions[0], positions[-1]) if positions else None


def host_position(model: ModelWrapper, index: int) -> str:
    """Where the host node at `index` sits relative to the hardware span."""
    span = hardware_span(model)
    if span is None:
        return NO_HARDWARE
    if index < span[0]:
        return BEFORE
    return AFTER if index > span[1] else INSIDE


def host_nodes_inside(model: ModelWrapper) -> list:
    """Host nodes that sit between two hardware nodes (they split the accelerator)."""
    span = hardware_span(model)
    if span is None:
        return []
    return [n for n in list(model.graph.node)[span[0] : span[1] + 1] if not is_hardware(n)]


def hardware_region(model: ModelWrapper) -> list:
    """The hardware nodes in order; a QnnflowError when there are none or a host node sits
    between them."""
    span = hardware_span(model)
    if span is None:
        raise QnnflowError("the graph has no hardware layers (run the to_hw and fold steps)")
    inside = host_nodes_inside(model)
    if inside:
        node = inside[0]
        raise QnnflowError(
            f"{node.op_type} '{node.name}' (a host op) sits between hardware layers; "
            "the accelerator must be one contiguous hardware region"
        )
    return list(model.graph.node)[span[0] : span[1] + 1]


def region_boundary(model: ModelWrapper, region: list) -> tuple[str, str]:
    """The single tensor entering the hardware region and the single one leaving it."""
    produced = {t for n in region for t in n.output}
    names = {n.name for n in region}
    graph_outputs = {o.name for o in model.graph.output}
    inputs = {
        t
        for n in region
        for t in n.input
        if t and t not in produced and model.get_initializer(t) is None
    }
    outputs = {
        t
        for t in produced
        if t in graph_outputs or any(c.name not in names for c in model.find_consumers(t))
    }
    if len(inputs) != 1 or len(outputs) != 1:
        raise QnnflowError(
            f"the hardware region must have one input and one output stream, found inputs "
            f"{sorted(inputs)} and outputs {sorted(outputs)}"
        )
    return inputs.pop(), outputs.pop()
