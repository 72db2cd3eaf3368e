"""Deterministic tensor names: a new tensor is named after the node that makes it, so two
builds of one model give byte-identical graphs, C++ and packages, and a repeated build hits
the g++ cache (qonnx's `ModelWrapper.make_new_valueinfo_name` draws random strings)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

# what qonnx's own transforms (BatchNormToAffine, GiveUniqueParameterTensors in every
# cleanup, ...) get from ModelWrapper.make_new_valueinfo_name once it is replaced; not
# `tensor_<n>`, which qonnx's GiveUniqueTensorNames renames every tensor to
QONNX_BASE = "qonnx_tensor"


def graph_names(model: ModelWrapper) -> set[str]:
    """Every tensor name the graph uses: inputs, outputs, value_info, initializers and the
    names nodes read or write (qonnx's check looks at value_info, inputs and outputs only)."""
    graph = model.graph
    names = {v.name for v in (*graph.input, *graph.output, *graph.value_info)}
    names |= {t.name for t in graph.initializer}
    for node in graph.node:
        names.update(node.input)
        names.update(node.output)
    names.discard("")
    return names


def new_tensor_name(model: ModelWrapper, base: str) -> str:
    """`base`, or `base_<n>` with the smallest n >= 1 that the graph does not use yet: the
    name depends only on `base` and the graph, never on chance."""
    taken = graph_names(model)
    if base not in taken:
        return base
    n = 1
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def _deterministic_valueinfo_name(self: ModelWrapper) -> str:
    """Replacement for qonnx's random `make_new_valueinfo_name`: the first free
    `qonnx_tensor_<n>`. Its callers in qonnx add each name to the graph before asking again."""
    return new_tensor_name(self, QONNX_BASE)


def use_deterministic_names() -> None:
    """Make qonnx's transforms name new tensors deterministically too (idempotent)."""
    ModelWrapper.make_new_valueinfo_name = _deterministic_valueinfo_name  # type: ignore[method-assign]
