"""What stayed on the host after to_hw, and why: every non-hardware node with the reason
each conversion gives for declining it (see the protocol in `qnnflow.transforms.to_hw`),
where it sits relative to the hardware region, and the check that refuses a graph with
nothing in hardware or with host nodes between hardware layers."""

from __future__ import annotations

import importlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.util.basic import get_by_name

from qnnflow.analysis.hardware_region import (
    INSIDE,
    NO_HARDWARE,
    hardware_region,
    host_positions,
    is_hardware,
    region_boundary,
)
from qnnflow.errors import QnnflowError
from qnnflow.transforms.to_hw import conversions
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC

TO_HW_FILE = "to_hw.json"  # the to_hw step's record in the build folder
MAX_LISTED = 25
# elementwise ops that join two streams: named apart, since they keep a net that uses them
# from becoming one accelerator
TWO_STREAM_OPS = {  # an Add of two streams is ConvertAddToHW's (it gives its own reason)
    "Sub": "subtracts",
    "Mul": "multiplies",
}  # host nodes named in an error message; to_hw.json has them all


@dataclass(frozen=True)
class HostNode:
    name: str
    op_type: str
    position: str  # before / inside / after the hardware region, or "no hardware"
    reason: str


def _label(node) -> str:
    return f"{node.op_type} '{node.name or node.output[0]}'"


def _layout_neighbour(model: ModelWrapper, node) -> str | None:
    """The hardware node a conversion's NCHW<->NHWC Transpose stands beside, if any."""
    perm = get_by_name(node.attribute, "perm")
    if node.op_type != "Transpose" or perm is None:
        return None
    if list(helper.get_attribute_value(perm)) not in (TO_NHWC, TO_NCHW):
        return None
    producer = model.find_producer(node.input[0])
    neighbours = [producer, *model.find_consumers(node.output[0])]
    hardware = [n for n in neighbours if n is not None and is_hardware(n)]
    return hardware[0].name if hardware else None


def _input_dependent(model: ModelWrapper) -> set[str]:
    """The tensors computed from a graph input (not from constants alone)."""
    found = {i.name for i in model.graph.input}
    for node in model.graph.node:  # topologically sorted
        if any(t in found for t in node.input):
            found.update(node.output)
    return found


def decline_reason(model: ModelWrapper, node) -> str:
    """Why `node` is not hardware: each claiming conversion's reason, or the plain fact."""
    neighbour = _layout_neighbour(model, node)
    if neighbour is not None:
        return (
            f"NCHW<->NHWC layout change at the edge of hardware layer '{neighbour}' "
            "(its other side stays on the host)"
        )
    reasons = []
    for conversion in conversions():
        if node.op_type in conversion.OP_TYPES:
            reason = conversion.decline_reason(model, node)
            reasons.append(f"{conversion.__name__}: {reason or 'accepts it, but it was not run'}")
    if reasons:
        return "; ".join(reasons)
    computed = [t for t in node.input if t and model.get_initializer(t) is None]
    streams = [t for t in computed if t in _input_dependent(model)]
    if node.op_type in TWO_STREAM_OPS and len(streams) >= 2:
        return (
            f"{TWO_STREAM_OPS[node.op_type]} two computed tensors elementwise (a residual "
            "connection): only an Add of two streams has a hardware op (StreamingAdd)"
        )
    constant = not computed
    return f"no hardware conversion for op type {node.op_type}" + (
        " (it computes a constant: every input is an initializer)" if constant else ""
    )


def host_nodes(model: ModelWrapper) -> list[HostNode]:
    """Every node not in hardware, in graph order, with its position and reason."""
    positions = host_positions(model)
    return [
        HostNode(
            node.name or node.output[0],
            node.op_type,
            positions[i],
            decline_reason(model, node),
        )
        for i, node in enumerate(model.graph.node)
        if not is_hardware(node)
    ]


def supported_conversions() -> list[dict]:
    """The hardware conversions there are: class, op types, and the rule it implements."""
    rows = []
    for conversion in conversions():
        module = importlib.import_module(conversion.__module__)
        rule = " ".join((module.__doc__ or "").strip().split("\n\n")[0].split())
        rows.append(
            {"conversion": conversion.__name__, "op_types": list(conversion.OP_TYPES), "rule": rule}
        )
    return rows


def supported_text() -> str:
    return ", ".join(
        f"{row['conversion']} ({', '.join(row['op_types'])})" for row in supported_conversions()
    )


def _listing(nodes: list[HostNode]) -> list[str]:
    lines = [f"  {n.op_type} '{n.name}': {n.reason}" for n in nodes[:MAX_LISTED]]
    if len(nodes) > MAX_LISTED:
        lines.append(f"  ... and {len(nodes) - MAX_LISTED} more")
    return lines


def region_problem(model: ModelWrapper, nodes: list[HostNode]) -> str | None:
    """Why this graph cannot become one accelerator (several lines: the host nodes at fault
    and the supported conversions), or None when it can."""
    hardware = sum(1 for n in model.graph.node if is_hardware(n))
    if hardware == 0:
        head = (
            f"nothing converted to hardware: all {len(nodes)} nodes stay on the host, "
            "so there is no accelerator to build:"
        )
        listed = nodes
    else:
        listed = [n for n in nodes if n.position == INSIDE]
        head = (
            f"{len(listed)} host node(s) sit between hardware layers, splitting the "
            "accelerator (host nodes may only feed the hardware or read its outputs, "
            "where they run on the ARM):"
        )
    if listed:
        supported = f"supported hardware conversions: {supported_text()}"
        return "\n".join([head, *_listing(listed), supported])
    try:
        region_boundary(model, hardware_region(model))
    except QnnflowError as exc:
        return str(exc)
    return None


def host_report(model: ModelWrapper) -> dict:
    """The to_hw step's record: hardware layers by op, host nodes with reasons, problems."""
    nodes = host_nodes(model)
    hardware = Counter(n.op_type for n in model.graph.node if is_hardware(n))
    return {
        "hardware_layers": sum(hardware.values()),
        "hardware_ops": dict(hardware),
        "host_nodes": [asdict(n) for n in nodes],
        "host_positions": dict(Counter(n.position for n in nodes)),
        "supported_conversions": supported_conversions(),
        "problem": region_problem(model, nodes),
    }


def host_summary(report: dict) -> str:
    """One console line: hardware layer count, host nodes by position and op type."""
    nodes = report["host_nodes"]
    ops = Counter(n["op_type"] for n in nodes)
    by_op = ", ".join(f"{op} x{count}" if count > 1 else op for op, count in ops.most_common())
    if report["hardware_layers"] == 0:
        return f"nothing in hardware; {len(nodes)} nodes on the host ({by_op})"
    if not nodes:
        return f"{report['hardware_layers']} hardware layers; nothing on the host"
    where = ", ".join(
        f"{count} {position}"
        for position, count in report["host_positions"].items()
        if position != NO_HARDWARE
    )
    return (
        f"{report['hardware_layers']} hardware layers; {len(nodes)} nodes on the host, "
        f"{where} the hardware region ({by_op})"
    )


def read_to_hw_record(output_dir: Path) -> dict | None:
    """The to_hw step's record in a build folder, None when absent or unreadable."""
    path = output_dir / TO_HW_FILE
    try:
        return json.loads(path.read_text()) if path.is_file() else None
    except json.JSONDecodeError:
        return None
