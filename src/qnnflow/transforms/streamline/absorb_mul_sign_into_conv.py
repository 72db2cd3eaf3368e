"""Negative per-channel scales after a Conv are moved into its weights:

    Conv(W, B) -> Mul(a)  ==>  Conv(W * sgn, B * sgn) -> Mul(|a|)     sgn_o = -1 if a_o < 0

This is how negative-scale channels (e.g. a BatchNorm with gamma < 0) are handled: a
MultiThreshold can only count x >= t, and a*acc >= t  <=>  (-acc) >= t/|a| for a < 0, so
negating the channel's weights lets AbsorbMulIntoMultiThreshold fold |a| as usual. Bipolar
and narrow-range weights keep their datatype; others are re-annotated when -W leaves it.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    Matches,
    channel_vector,
    const_operand,
    holds,
    integer_datatype,
    new_initializer,
    sole_consumer,
)


def negate_output_channels(model: ModelWrapper, layer, sign: np.ndarray, axis: int) -> None:
    """Multiply `layer`'s weights (input 1) by `sign` along their output axis `axis`, and its
    bias (input 2, one value per output channel) too; integer weights keep or widen their
    datatype."""
    weights = model.get_initializer(layer.input[1])
    old_dtype = model.get_tensor_datatype(layer.input[1])
    shape = [1] * weights.ndim
    shape[axis] = -1
    flipped = weights * sign.reshape(shape) + 0.0  # no -0
    layer.input[1] = new_initializer(model, f"{layer.name}_weight_signed", flipped)
    if old_dtype is not None and old_dtype.is_integer():
        keep = holds(old_dtype, flipped)
        model.set_tensor_datatype(layer.input[1], old_dtype if keep else integer_datatype(flipped))
    if len(layer.input) > 2 and layer.input[2]:
        bias = model.get_initializer(layer.input[2])
        layer.input[2] = new_initializer(model, f"{layer.name}_bias_signed", bias * sign)


class AbsorbMulSignIntoConv(Transformation):
    """Negate the conv channels whose following scale is negative."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for conv in model.graph.node:
            if conv.op_type != "Conv" or model.get_initializer(conv.input[1]) is None:
                continue
            mul = sole_consumer(model, conv.output[0])
            operand = (
                const_operand(model, mul) if mul is not None and mul.op_type == "Mul" else None
            )
            if operand is None or mul.input[operand[0]] != conv.output[0]:
                continue
            a = channel_vector(operand[1], model.get_tensor_shape(conv.output[0]), axis=1)
            if a is not None and np.any(a < 0):
                matches.add((conv, mul), operand[0], a)
        for conv, mul, data_index, a in matches:
            sign = np.where(a < 0, -1.0, 1.0)
            negate_output_channels(model, conv, sign, axis=0)
            rank = len(model.get_tensor_shape(mul.input[data_index]))
            magnitude = np.abs(a).reshape(1, -1, *([1] * (rank - 2)))
            mul.input[1 - data_index] = new_initializer(model, f"{mul.name}_abs", magnitude)
        return model, bool(matches)
