"""Execute a batch-1 graph on many inputs at once: a copy of the graph whose activation
tensors carry the batch size as their first dimension, run once per chunk of inputs.

Scoring a detector ran the graph once per image; a standard-op graph built one onnxruntime
session per image, a QONNX graph one session per node per image (qonnx's execute_node), so
sessions cost more than the arithmetic. Only graphs whose every node computes each batch
entry alone (BATCH_OPS, axis rules below) are batched; any other graph returns None from
`batched_model` and the caller runs it image by image. Results equal the image-by-image
run's bit for bit (tests/util/test_batch_exec.py checks it on the default model)."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import numpy as np
import onnxruntime as ort
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.util.graph_exec import execute_graph

# ops that compute every entry of dimension 0 from that entry alone (with constant operands
# that broadcast over it), elementwise or over the other axes
ELEMENTWISE = frozenset(
    {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "Identity", "Add", "Sub", "Mul", "Div"}
)
PER_SAMPLE = frozenset(
    {"Conv", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool"}
    | {"GlobalMaxPool", "Quant", "BipolarQuant", "Trunc", "MultiThreshold"}
)
# of those, the ops whose constant operands broadcast against the data (a scale, a bias)
BROADCAST = ELEMENTWISE | {"Quant", "BipolarQuant", "Trunc"}
STANDARD_DOMAINS = ("", "ai.onnx")
MEMORY_BUDGET = 128 << 20  # bytes of the widest activation tensor of one chunk


def _activations(model: ModelWrapper) -> set[str]:
    """The tensors that depend on the graph input (the rest are constants)."""
    found = {model.graph.input[0].name}
    for node in model.graph.node:  # graph order is topological (ONNX requires it)
        if any(name in found for name in node.input):
            found.update(name for name in node.output if name)
    return found


def _batch_safe(model: ModelWrapper, node, activations: set[str]) -> bool:
    if not any(name in activations for name in node.input):
        return True  # computes a constant (e.g. a weight's Quant)
    if node.op_type == "Concat":
        axis = helper.get_attribute_value(next(a for a in node.attribute if a.name == "axis"))
        rank = len(model.get_tensor_shape(node.output[0]) or [])
        return axis not in (0, -rank)
    if node.op_type not in ELEMENTWISE | PER_SAMPLE:
        return False
    for name in node.input:  # a constant operand must broadcast over the batch
        if name and name not in activations:
            shape = model.get_tensor_shape(name) or []
            out_rank = len(model.get_tensor_shape(node.output[0]) or [])
            if node.op_type in BROADCAST and len(shape) == out_rank and shape[0] != 1:
                return False
    return True


def batched_model(model: ModelWrapper, batch: int) -> ModelWrapper | None:
    """A copy of the single-input, batch-1 `model` taking `batch` inputs at once, or None
    when some node might mix batch entries (then run the inputs one by one)."""
    if len(model.graph.input) != 1:
        return None
    activations = _activations(model)
    if not all(_batch_safe(model, node, activations) for node in model.graph.node):
        return None
    graph = model.graph
    for vi in [*graph.input, *graph.output, *graph.value_info]:
        if vi.name not in activations:
            continue
        dims = vi.type.tensor_type.shape.dim
        if not dims or not dims[0].HasField("dim_value") or dims[0].dim_value != 1:
            return None  # not a batch-1 graph, or shapes not inferred
    batched = ModelWrapper(copy.deepcopy(model.model))
    new_graph = batched.graph
    for vi in [*new_graph.input, *new_graph.output, *new_graph.value_info]:
        if vi.name in activations:
            vi.type.tensor_type.shape.dim[0].dim_value = batch
    return batched


def chunk_size(model: ModelWrapper) -> int:
    """Inputs per chunk: the widest activation tensor of a chunk stays within MEMORY_BUDGET."""
    activations = _activations(model)
    widest = max(int(np.prod(model.get_tensor_shape(name) or [1])) for name in activations if name)
    return max(1, MEMORY_BUDGET // (4 * max(widest, 1)))


def _uses_custom_ops(model: ModelWrapper) -> bool:
    return any(node.domain not in STANDARD_DOMAINS for node in model.graph.node)


class BatchedRunner:
    """Runs a batch-1 `model` on [n, ...] inputs, chunk by chunk: onnxruntime (one session per
    chunk size) for standard ops, qnnflow's lean executor (qonnx semantics) otherwise."""

    def __init__(self, model: ModelWrapper) -> None:
        self.model = model
        self.chunk = chunk_size(model)
        self.custom = _uses_custom_ops(model)
        self._models: dict[int, ModelWrapper | None] = {}
        self._sessions: dict[int, ort.InferenceSession] = {}

    def supported(self) -> bool:
        """Whether the graph batches at all (else callers run inputs one at a time)."""
        return self._batched(1) is not None

    def _batched(self, size: int) -> ModelWrapper | None:
        if size not in self._models:
            self._models[size] = batched_model(self.model, size)
        return self._models[size]

    def _run_chunk(self, x: np.ndarray) -> dict[str, np.ndarray]:
        model = self._batched(x.shape[0])
        assert model is not None, "BatchedRunner on a graph that does not batch"
        name = model.graph.input[0].name
        if self.custom:
            return execute_graph(model, {name: x})
        if x.shape[0] not in self._sessions:
            options = ort.SessionOptions()
            options.log_severity_level = 3
            self._sessions[x.shape[0]] = ort.InferenceSession(
                model.model.SerializeToString(), options
            )
        session = self._sessions[x.shape[0]]
        names = [o.name for o in session.get_outputs()]
        return dict(zip(names, session.run(names, {name: x}), strict=True))

    def chunks(self, x: np.ndarray) -> Iterator[dict[str, np.ndarray]]:
        """The graph outputs of each chunk of `x` ([n, ...]), in order."""
        for start in range(0, x.shape[0], self.chunk):
            yield self._run_chunk(np.ascontiguousarray(x[start : start + self.chunk]))
