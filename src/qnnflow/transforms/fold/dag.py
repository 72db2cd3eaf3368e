"""The hardware graph as a DAG for folding decisions that used to assume one chain.

- A streamed weight layer (stream_ddr) leaves its frame channel-group-major, so every node
  DOWNSTREAM of it (by graph reachability, not by position in the node list) buffers frames.
- A streamable set is downward-closed: with a layer, every weight layer reachable from it
  streams too (on a chain: a suffix of the weight layers).
- A channel-group-major stream may only reach ops that take it in that order: single-input
  ops pass it on or restore normal order (a SlidingWindow); a join (StreamingConcat,
  StreamingAdd) interleaves its inputs per pixel and an Upsample repeats rows, so none of
  them may receive one, and the inputs of a join must carry the same frame replays.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.ops.stream_order import output_channel_groups, output_frame_replays

# Ops whose kernels read pixel-interleaved (normal NHWC) order only.
NORMAL_ORDER_ONLY = ("StreamingConcat", "StreamingAdd", "Upsample")


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


def streamed_upstream(model: ModelWrapper) -> dict[str, bool]:
    """For each hardware node: whether a weight-streaming node lies strictly upstream."""
    flags: dict[str, bool] = {}
    for node in hw_nodes(model):  # topological: producers first
        flags[node.name] = any(
            flags.get(p.name, False) or hw_op(p).ddr_bytes_per_frame() > 0
            for p in hw_stream_inputs(model, node)
        )
    return flags


def group_major_conflict(model: ModelWrapper, streamed: frozenset[str]) -> str | None:
    """The first node that would receive a channel-group-major stream it cannot read when
    `streamed` stream their weights (None when there is none)."""
    group_major: dict[str, bool] = {}
    for node in hw_nodes(model):
        producers = hw_stream_inputs(model, node)
        arrives = any(group_major.get(p.name, False) for p in producers)
        if arrives and (len(producers) > 1 or node.op_type in NORMAL_ORDER_ONLY):
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
