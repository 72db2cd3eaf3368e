"""Apply one transform of a composite (Streamline, ConvertToHW) without qonnx's per-call
overheads where they buy nothing.

`ModelWrapper.transform` deep-copies the model and runs five cleanup passes (one of them a
quadratic SortGraph) after every transform. Inside a composite the models in between are the
composite's own, and most rules change nothing on most sweeps: the cleanup of an unchanged,
already clean graph is a no-op. So the copy is optional and the cleanup runs only when the
structure it reads changed. The result equals `model.transform(transform)` (tests compare
the streamlined and converted graphs byte for byte)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation


def structure(model: ModelWrapper) -> tuple:
    """What qonnx's cleanup reads: the nodes and the names of initializers, value infos,
    inputs and outputs (not the initializers' values, which no cleanup pass looks at)."""
    graph = model.graph
    return (
        tuple(node.SerializeToString() for node in graph.node),
        tuple(t.name for t in graph.initializer),
        tuple(v.name for v in graph.value_info),
        tuple(v.name for v in graph.input),
        tuple(v.name for v in graph.output),
    )


def apply_step(model: ModelWrapper, transform: Transformation, copy: bool) -> ModelWrapper:
    """`model.transform(transform)` on a clean model, cleaning up only after a change;
    `copy=False` rewrites `model` itself (the caller must own it)."""
    before = structure(model)
    model = model.transform(transform, make_deepcopy=copy, cleanup=False)
    return model.cleanup() if structure(model) != before else model
