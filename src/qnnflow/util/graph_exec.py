"""Execute a QONNX graph with execute_onnx's results, bit for bit, at a fraction of its cost:
a graph is prepared once for many inputs (node order and shapes checked once, initializers
converted once and shared read-only, datatypes looked up once, custom op instances and the
one-node onnxruntime sessions of standard ops cached); qnnflow's hardware ops run their
vectorized numpy references directly; integer-annotated tensors are rounded as qonnx's
sanitize_quant_values rounds them, vectorized (its Python max() over every element took 5.8
of 6.6 s on the Tinier-YOLO's hidden layers). A hardware op computes exact integers from
integers, so its outputs need no rounding: graph inputs, initializers and the outputs of
other nodes are sanitized, once each per run."""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict

import numpy as np
import onnx.helper as helper
import onnxruntime as rt
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp, is_custom_op
from qonnx.util.basic import (
    get_preferred_qonnx_opset,
    get_sanitize_quant_tensors,
    qonnx_make_model,
)
from qonnx.util.onnx import valueinfo_to_tensor
from threadpoolctl import ThreadpoolController

from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN
from qnnflow.util.sanitize import all_allowed, datatypes, sanitize_tensor

__all__ = ["PreparedGraph", "all_allowed", "execute_graph", "is_hw_node", "sanitize_tensor"]

SESSION_CACHE_SIZE = 512
_sessions: OrderedDict[bytes, rt.InferenceSession] = OrderedDict()


def is_hw_node(node) -> bool:
    """A qnnflow hardware op: its reference keeps integer tensors integer."""
    return node.domain == DOMAIN


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
    """One controller per process (building one scans the loaded libraries)."""
    return ThreadpoolController()


class PreparedGraph:
    """A model made ready to run many inputs: `run` returns what execute_onnx would; NodeByNode
    runs single nodes through `run_node` (a caller may run some nodes elsewhere)."""

    def __init__(self, model: ModelWrapper) -> None:
        if model.get_metadata_prop("exec_mode") not in (None, ""):
            raise QnnflowError('metadata property "exec_mode" is set to an unknown value')
        graph = model.graph
        self.model = model
        self.nodes = list(graph.node)
        self._index = {id(n): i for i, n in enumerate(self.nodes)}
        self.infos = {vi.name: vi for vi in [*graph.input, *graph.output, *graph.value_info]}
        self.places = [
            {vi.name: (k, i) for i, vi in enumerate(part)}
            for k, part in enumerate((graph.input, graph.output, graph.value_info))
        ]
        self._check_shapes()
        self._sorted = False
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
        self.hardware = [is_hw_node(n) for n in self.nodes]
        self.custom = [is_custom_op(n.domain, n.op_type) for n in self.nodes]
        self.ops: dict[int, object] = {}
        self.sessions: dict[int, tuple[rt.InferenceSession, list[int]]] = {}
        self.outputs = [o.name for o in graph.output]
        self.interface = [vi.name for vi in [*graph.input, *graph.output]]
        last = {t: i for i, n in enumerate(self.nodes) for t in n.input if t}
        self.drops: list[list[str]] = [[] for _ in self.nodes]
        for tensor, index in sorted(last.items()):
            if tensor not in self.outputs:
                self.drops[index].append(tensor)

    def _check_shapes(self) -> None:
        """execute_onnx's check_all_tensor_shapes_specified (a value info or an initializer
        for every tensor a node reads or writes), in one pass."""
        constants = {init.name for init in self.model.graph.initializer}
        for node in self.nodes:
            for name in (*node.input, *node.output):
                if name and name not in self.infos and name not in constants:
                    raise QnnflowError(
                        f"the graph has tensors without shapes: '{name}' of '{node.name}' "
                        "(run the tidy step)"
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
        self._sorted = True

    def index(self, node) -> int:
        """The place of `node` (one of the graph's nodes) in graph order."""
        index = self._index.get(id(node))
        if index is None:
            if node not in self.nodes:
                raise QnnflowError(f"node '{node.name}' is not a node of the prepared graph")
            index = self._index[id(node)] = self.nodes.index(node)
        return index

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
                    raise QnnflowError(f"output '{out}' of '{node.name}' has no value info")
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

    def _sanitize(self, names, context: dict, clean: set[str]) -> None:
        for name in names:
            if name and name not in clean:
                sanitize_tensor(name, self.dtypes[name], context)
                clean.add(name)

    def run_node(self, index: int, context: dict, clean: set[str] | None) -> None:
        """Execute node `index` on `context`. `clean` holds the tensors already sanitized (or
        written by a hardware op) in this run, None when sanitizing is off."""
        node = self.nodes[index]
        if clean is not None:
            self._sanitize(node.input, context, clean)
        if self.hardware[index] or self.custom[index]:
            if index not in self.ops:
                self.ops[index] = getCustomOp(node, onnx_opset_version=self.opsets[index])
            if not self.hardware[index]:
                for name in node.output:  # qonnx's ops expect a buffer of the right shape
                    if name and name not in context:
                        context[name] = valueinfo_to_tensor(self.infos[name])
            self.ops[index].execute_node(context, self.model.graph)
        else:
            for name in node.output:
                if name and name not in context:
                    context[name] = valueinfo_to_tensor(self.infos[name])
            self._standard(index, context)
        if clean is None:
            return
        if self.hardware[index]:
            clean.update(node.output)
        else:
            clean.difference_update(node.output)
            self._sanitize(node.output, context, clean)

    def _expected_shape(self, name: str) -> list[int] | None:
        if self.constants.get(name) is not None:
            return list(self.constants[name].shape)
        if name in self.infos:
            return [d.dim_value for d in self.infos[name].type.tensor_type.shape.dim]
        return None  # execute_onnx ignores what is not a tensor of the graph

    def run(
        self, feed: dict[str, np.ndarray], full: bool = False, blas_threads: int | None = 1
    ) -> dict[str, np.ndarray]:
        """The graph outputs for `feed` as execute_onnx gives them; with `full` every tensor
        (else each is dropped once its last reader has run). BLAS runs `blas_threads` threads
        (None: its default): one frame's products are small, and on a shared 2-core machine
        OpenBLAS's own threads made the Tinier-YOLO's hidden layers 2-4x slower
        (benchmarks/sim_speed.py); integer sums in float64 are exact in any order."""
        if not self._sorted:
            self._check_sorted()
        if blas_threads is None:
            return self._run(feed, full)
        with _blas().limit(limits=blas_threads, user_api="blas"):
            return self._run(feed, full)

    def _run(self, feed: dict[str, np.ndarray], full: bool) -> dict[str, np.ndarray]:
        context: dict = dict(self.constants)
        for name, value in feed.items():
            expected = self._expected_shape(name)
            if expected is None:
                continue
            if list(np.shape(value)) != expected:
                raise QnnflowError(
                    f"input '{name}' has shape {list(np.shape(value))}, the graph expects "
                    f"{expected}"
                )
            context[name] = value
        for name in self.interface:  # execute_onnx's zero buffers for inputs and outputs
            context.setdefault(name, valueinfo_to_tensor(self.infos[name]))
        clean: set[str] | None = set() if get_sanitize_quant_tensors() != 0 else None
        for index in range(len(self.nodes)):
            self.run_node(index, context, clean)
            if not full:
                for name in self.drops[index]:
                    context.pop(name, None)
        if full:
            return context
        return {name: context[name] for name in self.outputs}


def execute_graph(
    model: ModelWrapper,
    inputs: dict[str, np.ndarray],
    blas_threads: int | None = 1,
    full: bool = False,
) -> dict[str, np.ndarray]:
    """One run of `model` (PreparedGraph(model).run; prepare it once to run several inputs)."""
    return PreparedGraph(model).run(inputs, full=full, blas_threads=blas_threads)
