"""Run a model before and after a transform on the same inputs; on a difference, name the
first node (in the new graph's order) whose output differs from the same-named tensor of
the old graph, so a broken rewrite is found where it happened."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.base import Transformation

from qnnflow.errors import QnnflowError


class EquivalenceError(QnnflowError):
    """A transform changed what the model computes."""


def _full_context(model: ModelWrapper, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return execute_onnx(model, dict(inputs), return_full_exec_context=True)


def _differs(a: np.ndarray, b: np.ndarray, rtol: float) -> float | None:
    """None when equal within rtol (0 means bit-exact), else the max abs difference."""
    if a.shape != b.shape:
        return float("inf")
    diff = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-12)
    return None if diff <= rtol * scale else diff


def check_equivalent(
    before: ModelWrapper,
    after: ModelWrapper,
    inputs: dict[str, np.ndarray],
    rtol: float = 0.0,
    label: str = "transform",
) -> None:
    """Raise EquivalenceError naming the first differing node when outputs disagree."""
    old = _full_context(before, inputs)
    new = _full_context(after, inputs)
    bad_outputs = []
    for out_old, out_new in zip(before.graph.output, after.graph.output, strict=False):
        diff = _differs(new[out_new.name], old[out_old.name], rtol)
        if diff is not None:
            bad_outputs.append((out_new.name, diff))
    if not bad_outputs:
        return
    for node in after.graph.node:
        for tensor in node.output:
            if tensor in old and tensor in new:
                diff = _differs(new[tensor], old[tensor], rtol)
                if diff is not None:
                    raise EquivalenceError(
                        f"{label} changed the result: first differing node {node.op_type} "
                        f"'{node.name}' (tensor '{tensor}', max abs diff {diff:.6g})"
                    )
    name, diff = bad_outputs[0]
    raise EquivalenceError(
        f"{label} changed the result: output '{name}' differs "
        f"(max abs diff {diff:.6g}); no intermediate tensor kept its name"
    )


def verified_transform(
    model: ModelWrapper, transform: Transformation, inputs: dict[str, np.ndarray], rtol: float = 0.0
) -> ModelWrapper:
    """model.transform(transform), checked against the untransformed model on `inputs`."""
    after = model.transform(transform)
    check_equivalent(model, after, inputs, rtol, label=type(transform).__name__)
    return after
