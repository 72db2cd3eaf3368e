"""Execute a QONNX graph as qonnx's execute_onnx does, bit for bit, but prepared once for many
inputs: the node order is checked once, initializers are converted once (and shared,
read-only), each tensor's datatype is looked up once, the per-node onnxruntime sessions of
standard ops are cached by the single-node model they run, and the integer sanitizer does its
check vectorized (qonnx takes a Python max() over every element, most of the checks' time).
Custom ops run through qonnx's own execute_custom_node, standard ops through onnxruntime on
the same one-node model qonnx builds."""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict

import numpy as np
import onnx.helper as helper
import onnxruntime as rt
from qonnx.core.datatype import DataType
from qonnx.core.execute_custom_node import execute_custom_node
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import is_custom_op
from qonnx.util.basic import (
    get_execution_error_thresh,
    get_preferred_qonnx_opset,
    get_sanitize_quant_tensors,
    qonnx_make_model,
)
from qonnx.util.onnx import valueinfo_to_tensor
from threadpoolctl import ThreadpoolController

from qnnflow.errors import QnnflowError

__all__ = ["PreparedGraph", "datatypes", "execute", "sanitize_tensor"]

SESSION_CACHE_SIZE = 512
_sessions: OrderedDict[bytes, rt.InferenceSession] = OrderedDict()


def _session(node_model: bytes) -> rt.InferenceSession:
    """The onnxruntime session of a one-node model (least recently used ones dropped)."""
    session = _sessions.get(node_model)
    if session is None:
        options = rt.SessionOptions()  # one thread, not spinning: many sessions stay alive
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = rt.InferenceSession(node_model, options)
        _sessions[node_model] = session
        if len(_sessions) > SESSION_CACHE_SIZE:
            _sessions.popitem(last=False)
    else:
        _sessions.move_to_end(node_model)
    return session


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def _python_max(values: np.ndarray):
    """What builtin max() returns over `values`' elements (NaN only when the first is NaN;
    later NaNs never compare greater), without iterating in Python."""
    flat = values.reshape(-1)
    if flat.size == 0:
        return max(flat)  # the same ValueError qonnx raises
    if np.isnan(flat[0]):
        return flat[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN tails cannot happen here
        return np.nanmax(flat)


def sanitize_tensor(name: str, dtype, context: dict) -> None:
    """qonnx.util.basic.sanitize_quant_values for one tensor (check_values=False): integer
    tensors are rounded when off-grid and rejected when the rounding exceeds the threshold."""
    if not dtype.is_integer():
        return
    current = context[name]
    allowed = dtype.allowed(current)
    allowed = allowed.all() if isinstance(allowed, np.ndarray) else allowed
    if allowed:
        return  # qonnx's error is 0 here: it stores the same values back
    updated = np.round(current)
    warnings.warn(
        f"The values of tensor {name} can't be represented "
        f"with the set datatype annotation ({dtype.name}), they will be rounded to match the "
        "datatype annotation.",
        stacklevel=2,
    )
    error = _python_max(np.abs(current - updated))
    if error <= get_execution_error_thresh():
        context[name] = updated
        return
    raise Exception(
        f"""Rounding error is too high to match set QONNX
            datatype ({dtype}) for input {name}"""
    )


def datatypes(model: ModelWrapper, names: set[str]) -> dict:
    """model.get_tensor_datatype for each name, from one pass over the annotations (the
    wrapper searches all of them per call)."""
    annotated = {}
    for annotation in model.graph.quantization_annotation:
        for pair in annotation.quant_parameter_tensor_names:
            if pair.key == "finn_datatype":
                annotated.setdefault(annotation.tensor_name, DataType[pair.value])
                break
    return {n: annotated.get(n) or model.get_tensor_datatype(n) for n in sorted(names)}


class PreparedGraph:
    """A model made ready to run many inputs; `run` returns what execute_onnx would."""

    def __init__(self, model: ModelWrapper) -> None:
        if model.get_metadata_prop("exec_mode") not in (None, ""):
            raise QnnflowError('metadata property "exec_mode" is set to an unknown value')
        graph = model.graph
        self.model = model
        self.nodes = list(graph.node)
        self._check_sorted()
        self.infos = {vi.name: vi for vi in [*graph.input, *graph.output, *graph.value_info]}
        self.places = [
            {vi.name: (k, i) for i, vi in enumerate(part)}
            for k, part in enumerate((graph.input, graph.output, graph.value_info))
        ]
        self._check_shapes()
        self.constants: dict[str, np.ndarray | None] = {"": None}
        for init in graph.initializer:
            value = model.get_initializer(init.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False  # shared by every run: no op may write to it
            self.constants[init.name] = value
        names = {t for n in self.nodes for t in (*n.input, *n.output) if t}
        self.dtypes = datatypes(model, names)
        opsets = model.get_opset_imports()
        self.opsets = [opsets.get(n.domain, get_preferred_qonnx_opset()) for n in self.nodes]
        self.custom = [is_custom_op(n.domain, n.op_type) for n in self.nodes]
        self.sessions: dict[int, tuple[rt.InferenceSession, list[int]]] = {}
        self.outputs = [o.name for o in graph.output]
        self.interface = [vi.name for vi in [*graph.input, *graph.output]]

    def _check_shapes(self) -> None:
        """execute_onnx's check_all_tensor_shapes_specified (a value info or an initializer
        for every tensor a node reads or writes), in one pass."""
        constants = {init.name for init in self.model.graph.initializer}
        for node in self.nodes:
            for name in (*node.input, *node.output):
                if name and name not in self.infos and name not in constants:
                    raise QnnflowError(
                        f"tensor '{name}' of '{node.name}' has no shape (run the tidy step)"
                    )

    def _check_sorted(self) -> None:
        """Every node reads only tensors made before it (qonnx asserts the same order)."""
        made = {i.name for i in self.model.graph.input} | {""}
        made |= {i.name for i in self.model.graph.initializer}
        produced = {t for n in self.nodes for t in n.output}
        for node in self.nodes:
            late = [t for t in node.input if t in produced and t not in made]
            if late:
                raise QnnflowError(
                    f"nodes are not topologically sorted: '{node.name}' reads '{late[0]}' "
                    "before it is made"
                )
            made.update(node.output)

    def _infos(self, names, parts: tuple[int, ...]) -> list:
        """The value infos of `names` in graph.input, .output, .value_info (those of `parts`)
        in the order qonnx's filters give: part by part, each in graph order."""
        graph = self.model.graph
        lists = (graph.input, graph.output, graph.value_info)
        found = sorted({self.places[k][n] for k in parts for n in names if n in self.places[k]})
        return [lists[k][i] for k, i in found]

    def _standard(self, index: int, context: dict) -> None:
        """qonnx's execute_node for a standard op: the same one-node model, a cached session."""
        node = self.nodes[index]
        if index not in self.sessions:
            inputs = self._infos(node.input, (0, 1, 2))  # qonnx's order: by part, then place
            outputs = self._infos(node.output, (1, 2))
            node_graph = helper.make_graph(
                nodes=[node], name="single-node-exec", inputs=inputs, outputs=outputs
            )
            node_model = qonnx_make_model(node_graph)
            node_model.opset_import[0].version = self.opsets[index]
            names = [x.name for x in outputs]
            places = []
            for out in node.output:
                if out not in names:
                    raise Exception(f"Output {out} not found in node outputs.")
                places.append(len(names) - 1 - names[::-1].index(out))  # qonnx takes the last
            self.sessions[index] = (_session(node_model.SerializeToString()), places)
        session, places = self.sessions[index]
        results = session.run(None, {name: context[name] for name in node.input})
        for out, place in zip(node.output, places, strict=True):
            if results[place].shape != context[out].shape:
                warnings.warn(
                    f"Output shapes disagree after node {node} execution: found "
                    f"{results[place].shape} vs expected {context[out].shape}",
                    stacklevel=2,
                )
            context[out] = results[place]

    def run(self, feed: dict[str, np.ndarray], full: bool = False) -> dict[str, np.ndarray]:
        """The graph outputs for `feed` (every tensor with `full`), as execute_onnx; BLAS on
        one thread (the ops' matrix products are small: threads only contend, and integer
        sums in float64 are exact in any order)."""
        with _blas().limit(limits=1, user_api="blas"):
            return self._run(feed, full)

    def _run(self, feed: dict[str, np.ndarray], full: bool) -> dict[str, np.ndarray]:
        context: dict = dict(self.constants)
        for name in self.interface:  # execute_onnx's zero buffers for inputs and outputs
            context.setdefault(name, valueinfo_to_tensor(self.infos[name]))
        for name, value in feed.items():
            if name in context and name:
                expected = context[name].shape
            elif name in self.infos:
                expected = tuple(valueinfo_to_tensor(self.infos[name]).shape)
            else:
                continue  # execute_onnx ignores what is not a tensor of the graph
            if tuple(expected) != tuple(value.shape):
                raise Exception(
                    f"Shape mismatch for provided input {name}: found {tuple(expected)} "
                    f"expected {tuple(value.shape)} "
                )
            context[name] = value
        sanitize = get_sanitize_quant_tensors() != 0
        for index, node in enumerate(self.nodes):
            for name in node.output:  # execute_onnx pre-allocates every buffer
                if name and name not in context and name in self.infos:
                    context[name] = valueinfo_to_tensor(self.infos[name])
            if sanitize:
                for name in node.input:
                    if name:
                        sanitize_tensor(name, self.dtypes[name], context)
            if self.custom[index]:
                execute_custom_node(node, context, self.model.graph, self.opsets[index])
            else:
                self._standard(index, context)
            if sanitize:
                for name in node.output:
                    if name:
                        sanitize_tensor(name, self.dtypes[name], context)
        if full:
            return context
        return {name: context[name] for name in self.outputs}


def execute(model: ModelWrapper, feed: dict[str, np.ndarray], full: bool = False) -> dict:
    """One run of `model` (prepare it with PreparedGraph to run several inputs)."""
    return PreparedGraph(model).run(feed, full)
