"""A scale in front of a Reshape or Flatten is moved behind it, so it can travel on to the
fully connected layer and the thresholds after it:

    Mul(c) -> Reshape / Flatten  ==>  Reshape / Flatten -> Mul(c)      (c a scalar)
    Mul(c) -> Flatten [1, C, 1, 1] -> [1, C]  ==>  Flatten -> Mul(c as (1, C))   (per channel)

A scalar commutes with any reshape. A per-channel scale does when the reshape flattens a map
of 1x1 pixels (CNV's last conv feeding its first Gemm): channel c stays element c.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    Matches,
    channel_vector,
    const_mul_into,
    new_initializer,
    swap_past,
)


def _moved_constant(value: np.ndarray, in_shape, out_shape) -> np.ndarray | None:
    """The scale's value after the reshape, None when it does not commute with it."""
    if value.size == 1:
        return value
    if in_shape is None or out_shape is None or len(in_shape) < 2:
        return None
    spatial_ones = all(d == 1 for d in in_shape[2:])
    flat = list(out_shape) == [in_shape[0], in_shape[1]]
    c = channel_vector(value, list(in_shape), axis=1)
    if not (spatial_ones and flat) or c is None:
        return None
    return c.reshape(1, -1).astype(np.float32)


class MoveMulPastFlatten(Transformation):
    """Push Muls downstream through Reshape and Flatten nodes."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mul in model.graph.node:
            found = const_mul_into(model, mul, ("Reshape", "Flatten"))
            if found is None:
                continue
            operand, reshape = found
            in_shape = model.get_tensor_shape(mul.output[0])
            out_shape = model.get_tensor_shape(reshape.output[0])
            moved = _moved_constant(operand[1], in_shape, out_shape)
            if moved is not None:
                matches.add((mul, reshape), operand[0], moved)
        for mul, reshape, data_index, moved in matches:
            if moved.size > 1:
                name = new_initializer(model, f"{mul.name}_flat", moved)
                mul.input[1 - data_index] = name
            swap_past(model, mul, reshape, data_index)
        return model, bool(matches)
