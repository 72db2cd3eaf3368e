"""A scalar scale in front of a bias-free fully connected layer is moved behind it:

    Mul(c) -> Gemm(W) / MatMul(W)  ==>  Gemm(W) / MatMul(W) -> Mul(c)       (c a scalar)

A matrix product is linear in its first input (alpha and the transposes do not matter). A
Gemm with a bias C is not matched (c would scale C too); a per-channel input scale cannot
move (it would leave the weights non-integer) and stays where it is.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import Matches, const_operand, sole_consumer, swap_past


class MoveScalarMulPastFC(Transformation):
    """Push scalar Muls downstream through bias-free Gemm and MatMul layers."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mul in model.graph.node:
            operand = const_operand(model, mul) if mul.op_type == "Mul" else None
            if operand is None or operand[1].size != 1:
                continue
            fc = sole_consumer(model, mul.output[0])
            if fc is None or fc.op_type not in ("Gemm", "MatMul"):
                continue
            if fc.input[0] != mul.output[0] or mul.output[0] in fc.input[1:]:
                continue
            if len(fc.input) > 2 and fc.input[2]:
                continue
            matches.add((mul, fc), operand[0])
        for mul, fc, data_index in matches:
            swap_past(model, mul, fc, data_index)
        return model, bool(matches)
