"""Execute a graph one node at a time with qonnx's node executor, dropping every tensor once
its last consumer has run: memory follows the widest point of the graph, not the sum of all
its tensors (qonnx's execute_onnx keeps every tensor of the execution)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_node
from qonnx.util.basic import get_preferred_qonnx_opset, get_sanitize_quant_tensors
from qonnx.util.onnx import valueinfo_to_tensor

from qnnflow.errors import QnnflowError
from qnnflow.util.graph_exec import datatypes, sanitize_tensor


class NodeByNode:
    """Runs `model`'s nodes in graph order; `context` holds the inputs, initializers and the
    tensors that some node not yet run (or the graph's outputs, or `keep`) still needs."""

    def __init__(self, model: ModelWrapper, inputs: dict[str, np.ndarray], keep=(), order=None):
        """`order`: the nodes to run, in a topological order of their own (default: all of
        the graph's, in graph order)."""
        if not model.check_all_tensor_shapes_specified():
            raise QnnflowError("the graph has tensors without shapes (run the tidy step)")
        self.model = model
        self.nodes = list(model.graph.node if order is None else order)
        self.next = 0
        self.keep = {o.name for o in model.graph.output} | set(keep)
        self.readers = Counter(t for n in self.nodes for t in n.input if t)
        self.opsets = model.get_opset_imports()
        graph = model.graph
        self.infos = {vi.name: vi for vi in [*graph.input, *graph.output, *graph.value_info]}
        self.context = {i.name: model.get_initializer(i.name) for i in graph.initializer}
        self.context[""] = None  # an omitted optional input, as qonnx's execution has it
        self.context.update(inputs)
        names = {t for n in self.nodes for t in (*n.input, *n.output) if t}
        self.dtypes = datatypes(model, names)

    def run(self, count: int = 1) -> None:
        """Execute the next `count` nodes."""
        for _ in range(count):
            node = self.nodes[self.next]
            for name in node.output:  # qonnx's executor expects a buffer of the right shape
                if name and name not in self.context:
                    self.context[name] = valueinfo_to_tensor(self.infos[name])
            sanitize = get_sanitize_quant_tensors()
            if sanitize:  # qonnx's sanitize_quant_values, vectorized (util.graph_exec)
                self._sanitize(node.input)
            opset = self.opsets.get(node.domain, get_preferred_qonnx_opset())
            execute_node(node, self.context, self.model.graph, opset)
            if sanitize:
                self._sanitize(node.output)
            self.consumed(node)

    def _sanitize(self, names) -> None:
        for name in names:
            if name:
                sanitize_tensor(name, self.dtypes[name], self.context)

    def run_until(self, node) -> None:
        """Execute every node before `node`."""
        self.run(self.nodes.index(node) - self.next)

    def consumed(self, node) -> None:
        """Mark `node` as run (executed here or elsewhere, e.g. in C++): drop the inputs no
        later node reads."""
        if self.nodes[self.next] is not node:
            raise QnnflowError(f"'{node.name}' run out of order")
        self.next += 1
        for name in node.input:
            if not name:
                continue
            self.readers[name] -= 1
            if self.readers[name] == 0 and name not in self.keep:
                self.context.pop(name, None)

    def finish(self) -> dict[str, np.ndarray]:
        """Run the remaining nodes; the graph outputs and the kept tensors."""
        self.run(len(self.nodes) - self.next)
        return self.context
