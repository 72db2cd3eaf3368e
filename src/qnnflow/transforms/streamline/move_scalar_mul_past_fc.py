"""A scalar scale in front of a bias-free fully connected layer is moved behind it:

    Mul(c) -> Gemm(W) / MatMul(W)  ==>  Gemm(W) / MatMul(W) -> Mul(c)       (c a scalar)

A matrix product is linear in its first input (alpha and the transposes do not matter). A
Gemm with a bias C is not matched (c would scale C too); a per-channel input scale cannot
move (it would leave the weights non-integer) and stays where it is.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.move_scalar_mul_past_conv import move_scalar_muls_past


class MoveScalarMulPastFC(Transformation):
    """Push scalar Muls downstream through bias-free Gemm and MatMul layers."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        return model, move_scalar_muls_past(model, ("Gemm", "MatMul"))
