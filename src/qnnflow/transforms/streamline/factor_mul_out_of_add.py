"""Two tensors with the same constant scale that are added share one scale after the sum
(a residual connection whose branches Brevitas requantized to one scale):

    Add(Mul(a, c), Mul(b, c))  ==>  Mul(Add(a, b), c)

Both Muls must hold equal constants (same shape and values) and feed only the Add. For
integer a and b (codes of the two branches) a + b is exact, so the sum stays integer and the
scale moves on into the next thresholds; the float result differs from the original only by
float32 rounding (c*a + c*b is rounded three times, c*(a + b) once).
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import Matches, const_operand, new_tensor, sole_consumer


def _scaled(model: ModelWrapper, tensor: str, add) -> tuple[object, str, str] | None:
    """(the Mul, its dynamic input, its constant's name) when `tensor` is a constant Mul's
    output read only by `add`."""
    mul = model.find_producer(tensor)
    if mul is None or mul.op_type != "Mul" or sole_consumer(model, tensor) is not add:
        return None
    operand = const_operand(model, mul)
    if operand is None:
        return None
    return mul, mul.input[operand[0]], mul.input[1 - operand[0]]


class FactorMulOutOfAdd(Transformation):
    """Add of two equally scaled tensors -> scale of their sum."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for add in model.graph.node:
            if add.op_type != "Add" or len(add.input) != 2 or add.input[0] == add.input[1]:
                continue
            sides = [_scaled(model, name, add) for name in add.input]
            if any(side is None for side in sides):
                continue
            (mul_a, a, c_a), (mul_b, b, c_b) = sides
            value_a, value_b = model.get_initializer(c_a), model.get_initializer(c_b)
            if value_a.shape != value_b.shape or not np.array_equal(value_a, value_b):
                continue
            matches.add((add, mul_a, mul_b), a, b, c_a)
        for add, mul_a, mul_b, a, b, scale in matches:
            total = new_tensor(model, model.get_tensor_shape(add.output[0]), f"{add.name}_sum")
            end = add.output[0]
            add.input[0], add.input[1] = a, b
            add.output[0] = total
            mul = helper.make_node("Mul", [total, scale], [end], name=f"{add.name}_scale")
            model.graph.node.remove(mul_a)
            model.graph.node.remove(mul_b)
            model.graph.node.insert(list(model.graph.node).index(add) + 1, mul)
        return model, bool(matches)
