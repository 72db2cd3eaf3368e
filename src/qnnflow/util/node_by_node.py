"""Execute a graph one node at a time (qnnflow.util.graph_exec's lean node runner: qonnx's
semantics, vectorized rounding), dropping every tensor once its last consumer has run:
memory follows the widest point of the graph, not the sum of all its tensors (qonnx's
execute_onnx keeps every tensor of the execution)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.util.onnx import valueinfo_to_tensor

from qnnflow.errors import QnnflowError
from qnnflow.util.graph_exec import NodeRunner, is_hw_node


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
        self.runner = NodeRunner(model)
        graph = model.graph
        self.infos = {vi.name: vi for vi in [*graph.input, *graph.output, *graph.value_info]}
        self.context = {i.name: model.get_initializer(i.name) for i in graph.initializer}
        self.context[""] = None  # an omitted optional input, as qonnx's execution has it
        self.context.update(inputs)

    def run(self, count: int = 1) -> None:
        """Execute the next `count` nodes."""
        for _ in range(count):
            node = self.nodes[self.next]
            for name in node.output:  # qonnx's executor expects a buffer of the right shape
                if name and name not in self.context and not is_hw_node(node):
                    self.context[name] = valueinfo_to_tensor(self.infos[name])
            self.runner.run(node, self.context)
            self.consumed(node)

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
