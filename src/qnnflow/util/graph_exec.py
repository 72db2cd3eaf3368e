"""Execute a QONNX graph with qonnx's semantics at a fraction of execute_onnx's per-node cost:
qnnflow's hardware ops run their (vectorized) numpy references directly, other nodes go
through qonnx's execute_node, and integer-annotated tensors are rounded as qonnx's
sanitize_quant_values rounds them, vectorized (its python max() over every tensor took
5.8 of 6.6 s on the Tinier-YOLO's hidden layers). A hardware op computes exact integers
from integers, so its outputs need no rounding: only graph inputs, initializers and the
outputs of other nodes are sanitized, once each. Results equal execute_onnx's bit for bit."""

from __future__ import annotations

import warnings

import numpy as np
from qonnx.core.datatype import BaseDataType, BipolarType, IntType, TernaryType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_node
from qonnx.custom_op.registry import getCustomOp
from qonnx.util.basic import (
    get_execution_error_thresh,
    get_preferred_qonnx_opset,
    get_sanitize_quant_tensors,
)

from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN


def is_hw_node(node) -> bool:
    """A qnnflow hardware op: its reference keeps integer tensors integer."""
    return node.domain == DOMAIN


def sanitize_tensor(model: ModelWrapper, name: str, context: dict) -> None:
    """qonnx's sanitize_quant_values for one tensor: values of an integer datatype that are
    not allowed are rounded (with qonnx's warning) when within the execution error
    threshold of an integer, else an error names the tensor."""
    dtype = model.get_tensor_datatype(name)
    if not dtype.is_integer() or context.get(name) is None:
        return
    values = context[name]
    if all_allowed(dtype, values):
        return
    rounded = np.round(values)
    warnings.warn(
        f"The values of tensor {name} can't be represented with the set datatype annotation "
        f"({dtype.name}), they will be rounded to match the datatype annotation.",
        stacklevel=2,
    )
    error = float(np.max(np.abs(values - rounded), initial=0))
    if not error <= get_execution_error_thresh():
        raise QnnflowError(
            f"tensor '{name}': values differ from {dtype.name} integers by up to {error:g}"
        )
    context[name] = rounded


def all_allowed(dtype: BaseDataType, values: np.ndarray) -> bool:
    """dtype.allowed(values).all() in a few reductions (qonnx's BIPOLAR check sorts)."""
    values = np.asarray(values)
    if values.size == 0:
        return True
    if isinstance(dtype, BipolarType):
        return bool(np.all(np.abs(values) == 1))
    if type(dtype) not in (IntType, TernaryType):
        return bool(np.all(dtype.allowed(values)))
    low, high = values.min(), values.max()
    if not (dtype.min() <= low and high <= dtype.max()):  # NaN fails here too
        return False
    return bool(np.array_equal(np.round(values), values))


class NodeRunner:
    """Runs single nodes of `model` on a shared context, sanitizing each tensor that does not
    come from a hardware op once, before its first reader (or after its writer)."""

    def __init__(self, model: ModelWrapper) -> None:
        self.model = model
        self.opsets = model.get_opset_imports()
        self.sanitize = get_sanitize_quant_tensors() != 0
        self.clean: set[str] = set()  # tensors already sanitized or written by a hardware op

    def run(self, node, context: dict) -> None:
        if self.sanitize:
            self._sanitize(node.input, context)
        if is_hw_node(node):
            getCustomOp(node).execute_node(context, self.model.graph)
            self.clean.update(node.output)
            return
        opset = self.opsets.get(node.domain, get_preferred_qonnx_opset())
        execute_node(node, context, self.model.graph, opset)
        if self.sanitize:
            self.clean.difference_update(node.output)
            self._sanitize(node.output, context)

    def _sanitize(self, names, context: dict) -> None:
        for name in names:
            if name and name not in self.clean:
                sanitize_tensor(self.model, name, context)
                self.clean.add(name)


def execute_graph(
    model: ModelWrapper, inputs: dict[str, np.ndarray], blas_threads: int | None = 1
) -> dict[str, np.ndarray]:
    """The graph outputs of `model` on `inputs` (execute_onnx's results, a lean run: every
    tensor is dropped once its last reader has run). BLAS runs `blas_threads` threads (None:
    its default): one frame's products are small, and on a shared 2-core machine OpenBLAS's
    own threads made the Tinier-YOLO's hidden layers 2-4x slower (benchmarks/sim_speed.py)."""
    from threadpoolctl import threadpool_limits

    from qnnflow.util.node_by_node import NodeByNode

    for name, value in inputs.items():
        expected = model.get_tensor_shape(name)
        if expected is not None and list(np.shape(value)) != list(expected):
            raise QnnflowError(
                f"input '{name}' has shape {list(np.shape(value))}, the graph expects {expected}"
            )
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        context = NodeByNode(model, inputs).finish()
    return {o.name: context[o.name] for o in model.graph.output}
