"""Negative per-channel scales after a bias-free fully connected layer move into its weights:

    Gemm(W) / MatMul(W) -> Mul(a)  ==>  Gemm(W sgn) / MatMul(W sgn) -> Mul(|a|)
                                         sgn_o = -1 if a_o < 0, on the output channel axis

The fully connected sibling of AbsorbMulSignIntoConv (a BatchNorm1d with gamma < 0 after a
Linear layer): a*acc >= t  <=>  (-acc) >= t/|a| for a < 0, so once the channel's weights are
negated AbsorbMulIntoMultiThreshold folds |a| into the next thresholds. The output channels
are the last axis of the output and axis 0 (Gemm transB=1) or 1 (transB=0, MatMul) of W.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.absorb_mul_sign_into_conv import negate_output_channels
from qnnflow.transforms.streamline.patterns import (
    Matches,
    channel_vector,
    const_operand,
    new_initializer,
    sole_consumer,
)
from qnnflow.transforms.streamline.quant_weights_to_integer import weight_output_axis


class AbsorbMulSignIntoFC(Transformation):
    """Negate the fully connected channels whose following scale is negative."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for fc in model.graph.node:
            if fc.op_type not in ("Gemm", "MatMul") or len(fc.input) != 2:
                continue
            axis = weight_output_axis(model, fc)
            if axis is None or model.get_initializer(fc.input[1]) is None:
                continue
            mul = sole_consumer(model, fc.output[0])
            operand = (
                const_operand(model, mul) if mul is not None and mul.op_type == "Mul" else None
            )
            if operand is None or mul.input[operand[0]] != fc.output[0]:
                continue
            out_shape = model.get_tensor_shape(fc.output[0])
            a = channel_vector(operand[1], out_shape, axis=-1) if out_shape else None
            if a is not None and np.any(a < 0):
                matches.add((fc, mul), operand[0], axis, a, len(out_shape))
        for fc, mul, data_index, axis, a, rank in matches:
            negate_output_channels(model, fc, np.where(a < 0, -1.0, 1.0), axis)
            magnitude = np.abs(a).reshape(*([1] * (rank - 1)), -1)
            mul.input[1 - data_index] = new_initializer(model, f"{mul.name}_abs", magnitude)
        return model, bool(matches)
