"""Where two runs of a model before and after a rewrite part ways: the first node of the new
graph whose output differs from the old graph's tensor of the same name, widened back to the
rewritten region that produced it (the chain of nodes whose tensors the old graph lacks), and
the first differing element with the region's inputs there, so a tie or an off-by-one
threshold shows as the numbers that decided it."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.verify.compare import difference


def _differs(a: np.ndarray, b: np.ndarray, rtol: float) -> str | None:
    """None when an intermediate tensor is unchanged (NaN where it was NaN counts as unchanged:
    the outputs are checked strictly), else why it differs."""
    if a.shape == b.shape and np.array_equal(a, b, equal_nan=True):
        return None
    return difference(a, b, rtol)


def _producers(model: ModelWrapper) -> dict[str, object]:
    return {out: node for node in model.graph.node for out in node.output}


def rewritten_region(after: ModelWrapper, node, old_tensors: set[str]) -> list:
    """`node` and, backwards through tensors the old graph does not have, the nodes that feed
    it: the part of the new graph a rewrite put in place; in graph order."""
    producers = _producers(after)
    region, todo = {node.name: node}, [node]
    while todo:
        for tensor in todo.pop().input:
            feeder = producers.get(tensor)
            if feeder is not None and tensor not in old_tensors and feeder.name not in region:
                region[feeder.name] = feeder
                todo.append(feeder)
    order = {n.name: i for i, n in enumerate(after.graph.node)}
    return sorted(region.values(), key=lambda n: order[n.name])


def _value(x: np.ndarray, index: tuple) -> str:
    return str(np.float32(x[index])) if np.issubdtype(x.dtype, np.floating) else str(x[index])


def _first_element(new: np.ndarray, old: np.ndarray) -> tuple | None:
    """Index of the largest difference (the first non-finite mismatch if any)."""
    if new.shape != old.shape or new.size == 0:
        return None
    a, b = new.astype(np.float64), old.astype(np.float64)
    gap = np.where(np.isfinite(a) & np.isfinite(b), np.abs(a - b), np.inf)
    gap = np.where(np.isnan(a) & np.isnan(b), 0.0, gap)  # NaN where it was NaN: unchanged
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(gap)), a.shape))


def _element_detail(region: list, tensor: str, old: dict, new: dict, after) -> str:
    index = _first_element(new[tensor], old[tensor])
    if index is None:
        return ""
    now, was = _value(new[tensor], index), _value(old[tensor], index)
    text = f"; at {list(index)}: {now} where it was {was}"
    inside = {out for n in region for out in n.output}
    entries = []
    for node in region:
        for name in node.input:
            if name and name not in inside and after.get_initializer(name) is None:
                value = new.get(name)
                if value is not None and value.shape == new[tensor].shape and name not in entries:
                    entries.append(name)
    shown = ", ".join(f"'{name}' = {_value(new[name], index)}" for name in entries)
    return text + (f"; region input there: {shown}" if shown else "")


def _describe(region: list, differing, before: ModelWrapper) -> str:
    first = region[0]
    text = f"first differing node {first.op_type} '{first.name}'"
    others = [n for n in region if n is not first]
    if others:
        text += " (rewritten with " + ", ".join(f"{n.op_type} '{n.name}'" for n in others) + ")"
    old_node = _producers(before).get(differing)
    if old_node is not None and old_node.name != first.name:
        text += f" in place of {old_node.op_type} '{old_node.name}'"
    return text


def first_difference(
    before: ModelWrapper,
    after: ModelWrapper,
    old: dict[str, np.ndarray],
    new: dict[str, np.ndarray],
    rtol: float,
) -> str:
    """A sentence naming the first differing node (new graph order) with the tensor, how it
    differs, the first differing element and the region's inputs there."""
    old_tensors = set(old)
    for node in after.graph.node:
        for tensor in node.output:
            if tensor in old and tensor in new:
                why = _differs(new[tensor], old[tensor], rtol)
                if why is not None:
                    region = rewritten_region(after, node, old_tensors)
                    detail = _element_detail(region, tensor, old, new, after)
                    where = _describe(region, tensor, before)
                    return f"{where} (tensor '{tensor}': {why}{detail})"
    return "no same-named intermediate tensor differs"
