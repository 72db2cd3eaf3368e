"""The one definition of the accelerator's extent, shared by the to_hw step (which refuses a
graph that breaks it) and code generation (which renders it). Positions follow the graph's
data flow, not the node list: a host node is BEFORE the hardware when no hardware node is
upstream of it, AFTER when none is downstream of it, and INSIDE (cutting the accelerator in
two) when both. The hardware is entered by one stream and may be left by several (one per
detector head); host nodes before and after it run on the ARM."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.ops.base import DOMAIN

BEFORE, INSIDE, AFTER, NO_HARDWARE = "before", "inside", "after", "no hardware"


def is_hardware(node) -> bool:
    return node.domain == DOMAIN


def _reach(model: ModelWrapper, downstream: bool) -> set[int]:
    """Indices of the nodes with a hardware node upstream (downstream=True: reached going
    forward from hardware) or downstream of them (False: reached going backward)."""
    nodes = list(model.graph.node)
    producer = {t: i for i, n in enumerate(nodes) for t in n.output if t}
    readers: dict[str, list[int]] = {}
    for i, n in enumerate(nodes):
        for t in n.input:
            readers.setdefault(t, []).append(i)
    stack = [i for i, n in enumerate(nodes) if is_hardware(n)]
    reached: set[int] = set()
    while stack:
        node = nodes[stack.pop()]
        if downstream:
            nxt = [j for t in node.output for j in readers.get(t, ())]
        else:
            nxt = [producer[t] for t in node.input if t in producer]
        for j in nxt:
            if j not in reached:
                reached.add(j)
                stack.append(j)
    return reached


def host_positions(model: ModelWrapper) -> dict[int, str]:
    """{node index: position} of every host node relative to the hardware."""
    nodes = list(model.graph.node)
    host = [i for i, n in enumerate(nodes) if not is_hardware(n)]
    if len(host) == len(nodes):
        return {i: NO_HARDWARE for i in host}
    below, above = _reach(model, True), _reach(model, False)
    positions = {}
    for i in host:
        if i in below and i in above:
            positions[i] = INSIDE
        else:
            positions[i] = AFTER if i in below else BEFORE
    return positions


def host_position(model: ModelWrapper, index: int) -> str:
    """Where the host node at `index` sits relative to the hardware."""
    return host_positions(model)[index]


def host_nodes_inside(model: ModelWrapper) -> list:
    """Host nodes with hardware both upstream and downstream (they split the accelerator)."""
    nodes = list(model.graph.node)
    return [nodes[i] for i, p in sorted(host_positions(model).items()) if p == INSIDE]


def grouped_nodes(model: ModelWrapper) -> list:
    """The node list regrouped as host-before, hardware, host-after (each in graph order):
    a topological order in which the hardware region is one stretch, as the simulations
    that run host nodes around the C++ accelerator need."""
    nodes = list(model.graph.node)
    positions = host_positions(model)
    before = [n for i, n in enumerate(nodes) if positions.get(i) in (BEFORE, NO_HARDWARE)]
    after = [n for i, n in enumerate(nodes) if positions.get(i) == AFTER]
    middle = [n for i, n in enumerate(nodes) if i not in positions or positions[i] == INSIDE]
    return before + middle + after


def hardware_region(model: ModelWrapper) -> list:
    """The hardware nodes in graph order; a QnnflowError when there are none or a host node
    sits between them."""
    region = [n for n in model.graph.node if is_hardware(n)]
    if not region:
        raise QnnflowError("the graph has no hardware layers (run the to_hw and fold steps)")
    inside = host_nodes_inside(model)
    if inside:
        node = inside[0]
        raise QnnflowError(
            f"{node.op_type} '{node.name}' (a host op) sits between hardware layers; "
            "the accelerator must be one contiguous hardware region"
        )
    return region


def _output_rank(model: ModelWrapper, tensor: str) -> int:
    """The position among the graph outputs of the first one `tensor` flows into."""
    order = {o.name: i for i, o in enumerate(model.graph.output)}
    seen, stack, best = set(), [tensor], len(order)
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        best = min(best, order.get(t, best))
        stack += [o for c in model.find_consumers(t) for o in c.output]
    return best


def region_boundary(model: ModelWrapper, region: list) -> tuple[str, list[str]]:
    """The single tensor entering the hardware region and the tensors leaving it, ordered
    by the graph output (detector head) each feeds, then by name."""
    produced = {t for n in region for t in n.output}
    names = {n.name for n in region}
    graph_outputs = {o.name for o in model.graph.output}
    inputs = {
        t
        for n in region
        for t in n.input
        if t and t not in produced and model.get_initializer(t) is None
    }
    outputs = [
        t
        for t in produced
        if t in graph_outputs or any(c.name not in names for c in model.find_consumers(t))
    ]
    if len(inputs) != 1 or not outputs:
        raise QnnflowError(
            f"the hardware region must have one input stream and at least one output stream, "
            f"found inputs {sorted(inputs)} and outputs {sorted(outputs)}"
        )
    return inputs.pop(), sorted(outputs, key=lambda t: (_output_rank(model, t), t))
