"""Cycles, resources and DDR traffic of one hardware node under a candidate folding, for the
folding search: each node's attributes are read once into a dict (its snapshot), a candidate
is tried by overlaying its folding attributes on that dict, and each (node, folding) result
is kept, so the search never copies a NodeProto nor parses its attributes again.

Why: qonnx's `get_nodeattr` rebuilds the op's attribute table and scans the node's
attributes on every call; the search asks the ops' cost formulas (`HWOp.cycles`,
`resources`, `check_folding`, stream widths) thousands of times per candidate set, and the
same (node, folding) recurs in every weight-streaming set and every cap refold. The
formulas stay the ops' own: only where their attributes come from changes."""

from __future__ import annotations

from dataclasses import dataclass

import onnx
from qonnx.custom_op.registry import getCustomOp

from qnnflow.analysis.resource_factors import Factors, corrected
from qnnflow.backends.vivado.project import DMA_STREAM_WIDTHS
from qnnflow.ops import FoldingError
from qnnflow.ops.base import HWOp

PORT_BITS = DMA_STREAM_WIDTHS[-1]  # the widest AXI DMA stream feeding/draining us


class _SnapshotAttrs:
    """Mixin placed before an op class: attributes live in `self.values` (a plain dict read
    once from the node), so getting and setting them costs a dict access."""

    values: dict
    attr_types: dict

    def get_nodeattr(self, name: str):
        if name not in self.values:  # an unset required or unknown one: qonnx's own error
            return super().get_nodeattr(name)  # type: ignore[misc]
        value = self.values[name]
        return list(value) if isinstance(value, list) else value

    def set_nodeattr(self, name: str, value) -> None:
        if name not in self.attr_types:
            raise AttributeError(f"{self.onnx_node.name} has no such attribute: {name}")  # type: ignore[attr-defined]
        allowed = self.attr_types[name][3] if len(self.attr_types[name]) == 4 else None
        if allowed is not None and value not in allowed:
            raise ValueError(f"{name} = {value} not in {allowed}")
        self.values[name] = value


_SNAPSHOT_CLASSES: dict[type, type] = {}


def snapshot_op(node: onnx.NodeProto) -> HWOp:
    """The node's op (same class and formulas) with its attributes read into a dict; the
    node itself is never written."""
    op = getCustomOp(node)
    cls = type(op)
    if cls not in _SNAPSHOT_CLASSES:
        _SNAPSHOT_CLASSES[cls] = type(f"Snapshot{cls.__name__}", (_SnapshotAttrs, cls), {})
    snap = _SNAPSHOT_CLASSES[cls](node, op.onnx_opset_version)
    snap.attr_types = op.get_nodeattr_types()
    snap.values = {}
    for name in snap.attr_types:
        try:
            snap.values[name] = op.get_nodeattr(name)
        except Exception:  # noqa: BLE001 - required but unset: asking for it raises later
            continue
    return snap


@dataclass(frozen=True)
class NodeCost:
    """One node under one folding: what a folding group sums."""

    cycles: int
    resources: dict[str, float]
    ddr_bytes: int


class NodeCosts:
    """Per-(node, folding) cost of the nodes of one graph, from their snapshots.

    `ports` = (nodes reading a host tensor, nodes writing one): their stream may be at most
    PORT_BITS wide (the DMA). `factors` scale each op type's resources."""

    def __init__(
        self,
        ports: tuple[set[str], set[str]] = (set(), set()),
        factors: Factors | None = None,
    ):
        self.ports = ports
        self.factors = factors
        self._ops: dict[str, tuple[HWOp, dict]] = {}
        self._costs: dict[tuple, NodeCost | None] = {}

    def cost(self, node: onnx.NodeProto, attrs: dict) -> NodeCost | None:
        """The node with `attrs` overlaid on its own attributes, or None when that folding
        is illegal (FoldingError) or its stream at an accelerator port exceeds the DMA."""
        key = (node.name, tuple(sorted((k, _hashable(v)) for k, v in attrs.items())))
        if key not in self._costs:
            self._costs[key] = self._evaluate(node, attrs)
        return self._costs[key]

    def _evaluate(self, node: onnx.NodeProto, attrs: dict) -> NodeCost | None:
        if node.name not in self._ops:
            op = snapshot_op(node)
            self._ops[node.name] = (op, dict(op.values))
        op, base = self._ops[node.name]
        op.values = dict(base)
        for key, value in attrs.items():
            op.set_nodeattr(key, value)
        return self.cost_of(node, op)

    def cost_of(self, node: onnx.NodeProto, op) -> NodeCost | None:
        """`op` (node's op with a folding set) costed, None when the folding is illegal or a
        DMA-facing stream would be wider than the port."""
        try:
            op.check_folding()
        except FoldingError:
            return None
        if node.name in self.ports[0] and op.instream_width_bits() > PORT_BITS:
            return None
        if node.name in self.ports[1] and op.outstream_width_bits() > PORT_BITS:
            return None
        cycles = op.cycles()
        resources = corrected(node.op_type, op.resources(), self.factors)
        return NodeCost(cycles, resources, op.ddr_bytes_per_frame())


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value
