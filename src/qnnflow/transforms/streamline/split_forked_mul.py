"""A constant scale read by several nodes becomes one scale per reader, so each copy can move
on along its own path (into the next layer's thresholds, past a conv, out of a residual Add):

    Mul(x, c) -> {A, B}  ==>  Mul(x, c) -> A,  Mul(x, c) -> B

Each copy computes exactly what the shared Mul computed. A Mul whose output is also a graph
output stays as it is (the output keeps its producer).
"""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    Matches,
    const_operand,
    is_graph_output,
    new_tensor,
)


class SplitForkedMul(Transformation):
    """Give every reader of a forked constant Mul its own copy."""

    OP_TYPE = "Mul"

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mul in model.graph.node:
            if mul.op_type != self.OP_TYPE or const_operand(model, mul) is None:
                continue
            if is_graph_output(model, mul.output[0]):
                continue
            readers = model.find_consumers(mul.output[0])
            if len(readers) > 1:
                matches.add((mul,), readers)
        for mul, readers in matches:
            shape = model.get_tensor_shape(mul.output[0])
            position = list(model.graph.node).index(mul)
            for i, reader in enumerate(readers[1:], start=1):
                copy_out = new_tensor(model, shape, f"{mul.name or mul.output[0]}_copy{i}")
                copy = helper.make_node(
                    mul.op_type, list(mul.input), [copy_out], name=f"{mul.name}_copy{i}"
                )
                for j, name in enumerate(reader.input):
                    if name == mul.output[0]:
                        reader.input[j] = copy_out
                model.graph.node.insert(position + i, copy)
        return model, bool(matches)
