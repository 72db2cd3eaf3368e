"""The hardware graph as a DAG for folding decisions that used to assume one chain.

- A streamed weight layer (stream_ddr) leaves its frame channel-group-major; per-channel ops
  pass that order on (by graph reachability, not by position in the node list) until a
  SlidingWindow stores the frame (frameBuffer=1) and restores normal order for its layer, so
  only the windows a group-major stream reaches (and those feeding a streamed layer, which
  replay their frame) buffer frames.
- A channel-group-major stream may only reach ops that take it in that order: single-input
  ops pass it on or restore normal order (a SlidingWindow); a MatrixVectorUnit without a
  window in front needs whole vectors; a join (StreamingConcat,
  StreamingAdd) interleaves its inputs per pixel and an Upsample repeats rows, so none of
  them may receive one, and the inputs of a join must carry the same frame replays.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.ops.stream_order import (
    input_channel_groups,
    output_channel_groups,
    output_frame_replays,
)


def hw_stream_inputs(model: ModelWrapper, node) -> list:
    """The hardware producers of `node`'s streamed inputs, one per input slot."""
    producers = []
    for tensor in node.input:
        producer = model.find_producer(tensor) if tensor else None
        if producer is not None and producer.domain == node.domain:
            producers.append(producer)
    return producers


def hw_successors(model: ModelWrapper, node) -> list:
    """Hardware nodes reading any output of `node`."""
    found = []
    for tensor in node.output:
        found += [r for r in model.find_consumers(tensor) if r.domain == node.domain]
    return found


def downstream(model: ModelWrapper, names: set[str] | frozenset[str]) -> set[str]:
    """Names of the hardware nodes reachable from `names` (themselves included)."""
    by_name = {n.name: n for n in hw_nodes(model)}
    seen, todo = set(), [by_name[n] for n in names if n in by_name]
    while todo:
        node = todo.pop()
        if node.name in seen:
            continue
        seen.add(node.name)
        todo += hw_successors(model, node)
    return seen


def group_major_outputs(model: ModelWrapper, streamed: frozenset[str] | set[str]) -> set[str]:
    """Names of the hardware nodes whose output leaves channel-group-major when `streamed`
    stream their weights (planning: before PE is chosen, a streamed layer counts as
    group-major)."""
    out: set[str] = set()
    for node in hw_nodes(model):  # topological: producers first
        arrives = any(p.name in out for p in hw_stream_inputs(model, node))
        restores = hw_op(node).output_channel_groups(2) == 1  # e.g. a SlidingWindow
        if node.name in streamed or (arrives and not restores):
            out.add(node.name)
    return out


def group_major_inputs(model: ModelWrapper) -> dict[str, bool]:
    """For each hardware node of a folded graph: whether its input arrives channel-group-major
    (the folded PEs decide: a streamed layer with PE = MH leaves normal order)."""
    return {node.name: input_channel_groups(model, node) > 1 for node in hw_nodes(model)}


def group_major_conflict(model: ModelWrapper, streamed: frozenset[str]) -> str | None:
    """The first node that would receive a channel-group-major stream it cannot read when
    `streamed` stream their weights (None when there is none)."""
    group_major: dict[str, bool] = {}
    for node in hw_nodes(model):
        producers = hw_stream_inputs(model, node)
        arrives = any(group_major.get(p.name, False) for p in producers)
        if arrives and (len(producers) > 1 or not hw_op(node).TAKES_GROUP_MAJOR):
            return node.name
        restores = hw_op(node).output_channel_groups(2) == 1  # e.g. a SlidingWindow
        group_major[node.name] = node.name in streamed or (arrives and not restores)
    return None


def check_join_streams(model: ModelWrapper) -> None:
    """Every input of a join carries the same frame replays and channel-group order."""
    for node in hw_nodes(model):
        producers = hw_stream_inputs(model, node)
        if len(producers) < 2:
            continue
        replays = {output_frame_replays(model, p) for p in producers}
        groups = {output_channel_groups(model, p) for p in producers}
        if len(replays) > 1 or groups != {1}:
            raise QnnflowError(
                f"{node.op_type} '{node.name}': its inputs arrive with frame replays "
                f"{sorted(replays)} and channel groups {sorted(groups)}; a join needs one "
                "copy of each frame in normal (pixel-interleaved) order on every input"
            )
