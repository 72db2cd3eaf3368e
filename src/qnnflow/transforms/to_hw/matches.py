"""The one way a to_hw conversion finds its work: every node of its op types whose match
does not decline (a match function returns a reason string to decline, anything else to
convert: its parameters, or None when there are none). Matches are collected before any
rewrite, so converting one node cannot hide or reveal another in the same pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from qonnx.core.modelwrapper import ModelWrapper


def convertible(
    model: ModelWrapper, op_types: Iterable[str], match: Callable[[ModelWrapper, object], object]
) -> list[tuple[object, object]]:
    """(node, match result) for every node of `op_types` that `match` does not decline."""
    kinds = set(op_types)
    found = []
    for node in model.graph.node:
        if node.op_type in kinds:
            result = match(model, node)
            if not isinstance(result, str):
                found.append((node, result))
    return found
