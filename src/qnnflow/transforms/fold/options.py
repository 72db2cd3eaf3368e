"""Every legal folding of a group of hardware nodes that must be folded together (an op and
its fold partners, e.g. ZeroPad -> SlidingWindow -> MatrixVectorUnit sharing SIMD), with
its cycles and resources. The candidates come from the ops (`HWOp.fold_options`); this
module only groups nodes, checks legality (including that the accelerator's input and output
streams fit the DMA) and sums costs."""

from __future__ import annotations

from dataclasses import dataclass

import onnx
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.resource_factors import Factors
from qnnflow.ops import FoldPlan
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.transforms.fold.dag import (
    downstream,
    group_major_conflict,
    group_major_outputs,
    hw_stream_inputs,
)
from qnnflow.transforms.fold.node_costs import NodeCosts


@dataclass
class Option:
    attrs: dict[str, dict]  # node name -> folding attributes
    cycles: int
    resources: dict[str, float]
    ddr_bytes: int


@dataclass
class Group:
    nodes: list[onnx.NodeProto]
    options: list[Option]


def port_nodes(model: ModelWrapper) -> tuple[set[str], set[str]]:
    """(hardware nodes reading a host tensor, hardware nodes writing one): the accelerator's
    input and output streams, which the DMA carries."""
    reads, writes = set(), set()
    graph_outputs = {o.name for o in model.graph.output}
    for node in hw_nodes(model):
        for tensor in node.input:
            producer = model.find_producer(tensor) if tensor else None
            if tensor and model.get_initializer(tensor) is None:
                if producer is None or producer.domain != node.domain:
                    reads.add(node.name)
        readers = model.find_consumers(node.output[0])
        if node.output[0] in graph_outputs or any(r.domain != node.domain for r in readers):
            writes.add(node.name)
    return reads, writes


def _evaluate(nodes: list, attrs: dict[str, dict], costs: NodeCosts) -> Option | None:
    """The group's option: the slowest node's cycles, the nodes' resources and DDR bytes
    summed in node order; None when any node rejects its folding."""
    cycles, ddr, resources = 0, 0, {}
    for node in nodes:
        cost = costs.cost(node, attrs.get(node.name, {}))
        if cost is None:
            return None
        cycles = max(cycles, cost.cycles)
        for kind, value in cost.resources.items():
            resources[kind] = resources.get(kind, 0.0) + value
        ddr += cost.ddr_bytes
    return Option(attrs, cycles, resources, ddr)


def streamable_sets(model: ModelWrapper) -> list[frozenset[str]]:
    """Candidate sets of weight layers streaming from DDR, the empty set first, then by size.

    A layer may stream when `HWOp.can_stream_weights` says so and its channel-group-major
    output reaches no join, upsampling or window-less layer (`group_major_conflict`; a window
    in between restores normal order). Candidates: for each such layer v, every such layer
    reachable from v (on a chain, a suffix of the weight layers); the k largest such layers
    by weight bits, for every k (what relieves on-chip memory fastest on a branched graph);
    and all of them. Each must be conflict-free together. Linear in the number of weight
    layers, not exponential."""
    weights = [n.name for n in hw_nodes(model) if hw_op(n).weight_bits() > 0]
    nodes = {n.name: n for n in hw_nodes(model)}
    able = [
        name
        for name in weights
        if hw_op(nodes[name]).can_stream_weights(model)
        and group_major_conflict(model, frozenset({name})) is None
    ]
    kept = {frozenset(downstream(model, {name}) & set(able)) for name in able}
    largest = sorted(able, key=lambda name: (-hw_op(nodes[name]).weight_bits(), name))
    kept |= {frozenset(largest[:k]) for k in range(1, len(largest) + 1)}
    kept.add(frozenset(able))
    kept = {s for s in kept if s and group_major_conflict(model, s) is None}
    return [frozenset(), *sorted(kept, key=lambda s: (len(s), sorted(s)))]


def fold_plan(model: ModelWrapper, streamed: frozenset[str]) -> FoldPlan:
    """The MVUs whose window buffers whole frames: the streamed ones (their window replays
    the frame) and those whose window a channel-group-major stream reaches."""
    group_major = group_major_outputs(model, streamed)
    buffered = set(streamed)
    for node in hw_nodes(model):
        if node.op_type != "MatrixVectorUnit":
            continue
        window = hw_op(node).window_node(model)
        if window is not None and any(
            p.name in group_major for p in hw_stream_inputs(model, window)
        ):
            buffered.add(node.name)
    return FoldPlan(streamed, frozenset(buffered))


def folding_groups(
    model: ModelWrapper,
    streamed: frozenset[str] = frozenset(),
    factors: Factors | None = None,
    costs: NodeCosts | None = None,
) -> list[Group]:
    """Group the hardware nodes (each op with its fold partners) and enumerate each group's
    legal foldings; layers named in `streamed` (a downward-closed set of weight layers,
    `streamable_sets`) stream their weights from DDR. `factors` (synthesis-measured, per
    op type) scale the ops' resource estimates. `costs` (built for this model and these
    factors) keeps node costs across calls: one per weight-streaming set."""
    plan = fold_plan(model, streamed)
    costs = costs or NodeCosts(port_nodes(model), factors)
    partners = {n.name: hw_op(n).fold_partners(model) for n in hw_nodes(model)}
    claimed = {p.name for group in partners.values() for p in group}
    leaders = [n for n in hw_nodes(model) if n.name not in claimed and partners[n.name]]
    loners = [n for n in hw_nodes(model) if n.name not in claimed and not partners[n.name]]
    groups = []
    for node in leaders + loners:
        nodes = [*partners[node.name], node]
        candidates = hw_op(node).fold_options(model, plan)
        options = [_evaluate(nodes, attrs, costs) for attrs in candidates]
        groups.append(Group(nodes, [o for o in options if o is not None]))
    return groups
