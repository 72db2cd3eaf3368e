"""Execute a graph one node at a time (qnnflow.util.graph_exec's prepared graph: qonnx's
semantics, hardware ops run directly, vectorized rounding), dropping every tensor once its
last consumer has run: memory follows the widest point of the graph, not the sum of all its
tensors (qonnx's execute_onnx keeps every tensor of the execution)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.util.basic import get_sanitize_quant_tensors

from qnnflow.errors import QnnflowError
from qnnflow.util.graph_exec import PreparedGraph


class NodeByNode:
    """Runs `model`'s nodes in graph order; `context` holds the inputs, initializers and the
    tensors that some node not yet run (or the graph's outputs, or `keep`) still needs."""

    def __init__(
        self,
        model: ModelWrapper,
        inputs: dict[str, np.ndarray],
        keep=(),
        order=None,
        prepared: PreparedGraph | None = None,
    ):
        """`order`: the nodes to run, in a topological order of their own (default: all of
        the graph's, in graph order); `prepared`: `model` prepared once for many runs."""
        self.graph = prepared or PreparedGraph(model)
        self.model = model
        self.nodes = list(model.graph.node if order is None else order)
        self.next = 0
        self.keep = {o.name for o in model.graph.output} | set(keep)
        self.readers = Counter(t for n in self.nodes for t in n.input if t)
        self.context = dict(self.graph.constants)  # an omitted optional input ("") is None
        self.context.update(inputs)
        self.clean: set[str] | None = set() if get_sanitize_quant_tensors() != 0 else None

    def run(self, count: int = 1) -> None:
        """Execute the next `count` nodes."""
        for _ in range(count):
            node = self.nodes[self.next]
            self.graph.run_node(self.graph.index(node), self.context, self.clean)
            self._advance(node)

    def run_until(self, node) -> None:
        """Execute every node before `node`."""
        self.run(self.nodes.index(node) - self.next)

    def consumed(self, node) -> None:
        """Mark `node` as run (executed here or elsewhere, e.g. in C++): drop the inputs no
        later node reads."""
        if self.clean is not None:  # run elsewhere: its outputs are sanitized when read
            self.clean.difference_update(node.output)
        self._advance(node)

    def _advance(self, node) -> None:
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
