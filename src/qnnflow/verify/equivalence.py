"""Run a model before and after a transform on the same inputs; outputs pair by position
(compare.py: exact shapes, NaN/inf fail); on a difference, name the output and the first node
(in the new graph's order) whose output differs from the same-named tensor of the old graph,
so a broken rewrite is found where it happened."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.base import Transformation

from qnnflow.errors import QnnflowError
from qnnflow.verify.compare import ComparisonError, difference, paired_outputs


class EquivalenceError(QnnflowError):
    """A transform changed what the model computes."""


def _full_context(model: ModelWrapper, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return execute_onnx(model, dict(inputs), return_full_exec_context=True)


def _differs(a: np.ndarray, b: np.ndarray, rtol: float) -> str | None:
    """None when an intermediate tensor is unchanged (NaN where it was NaN counts as unchanged:
    the outputs are checked strictly), else why it differs."""
    if a.shape == b.shape and np.array_equal(a, b, equal_nan=True):
        return None
    return difference(a, b, rtol)


def check_equivalent(
    before: ModelWrapper,
    after: ModelWrapper,
    inputs: dict[str, np.ndarray],
    rtol: float = 0.0,
    label: str = "transform",
) -> None:
    """Raise EquivalenceError naming the differing output and the first differing node when
    the outputs (paired by position, equal counts) disagree or are not finite."""
    old = _full_context(before, inputs)
    new = _full_context(after, inputs)
    try:
        pairs = paired_outputs(
            [o.name for o in before.graph.output], [o.name for o in after.graph.output], label
        )
    except ComparisonError as error:
        raise EquivalenceError(str(error)) from None
    bad_outputs = []
    for out_old, out_new in pairs:
        why = difference(new[out_new], old[out_old], rtol)
        if why is not None:
            bad_outputs.append((out_new, why))
    if not bad_outputs:
        return
    name, why = bad_outputs[0]
    for node in after.graph.node:
        for tensor in node.output:
            if tensor in old and tensor in new:
                where = _differs(new[tensor], old[tensor], rtol)
                if where is not None:
                    raise EquivalenceError(
                        f"{label} changed the result: output '{name}' differs ({why}); first "
                        f"differing node {node.op_type} '{node.name}' (tensor '{tensor}': {where})"
                    )
    raise EquivalenceError(
        f"{label} changed the result: output '{name}' differs ({why}); "
        "no same-named intermediate tensor differs"
    )


def verified_transform(
    model: ModelWrapper, transform: Transformation, inputs: dict[str, np.ndarray], rtol: float = 0.0
) -> ModelWrapper:
    """model.transform(transform), checked against the untransformed model on `inputs`."""
    after = model.transform(transform)
    check_equivalent(model, after, inputs, rtol, label=type(transform).__name__)
    return after
