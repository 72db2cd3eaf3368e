"""A positive scale in front of a thresholding is folded into its thresholds:

    Mul(c) -> MultiThreshold(T)  ==>  MultiThreshold(T / c)        (c > 0)

T / c is taken exactly: the least float32 x with float32(x * c) >= T (least_float32), so the
rewrite agrees with the float32 Mul for every input, including a product that lands on T and
a T that is one float32 step above a rounding tie (a strict boundary).
c is a scalar or one value per channel of the MultiThreshold's channel axis. A channel with
c == 0 sees only zeros, so its thresholds become -BIG where T <= 0 and +BIG elsewhere (the
same constant output). Channels with c < 0 are not matched: the comparison would flip, so
AbsorbMulSignIntoConv first moves such signs into the producing Conv's weights.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.least_float32 import least_input_after_mul
from qnnflow.transforms.streamline.patterns import (
    Matches,
    channel_axis,
    channel_vector,
    const_mul_into,
    new_initializer,
)

BIG = float(2**31)


def scaled_thresholds(thresholds: np.ndarray, c: np.ndarray) -> np.ndarray:
    """T / c per channel (the least float32 x with x * c >= T), -BIG/+BIG where c == 0."""
    t = np.broadcast_to(thresholds.astype(np.float64), (c.shape[0], thresholds.shape[1]))
    safe = np.where(c == 0, 1.0, c).reshape(-1, 1)
    constant = np.where(t <= 0, -BIG, BIG)
    return np.where(c.reshape(-1, 1) == 0, constant, least_input_after_mul(t, safe))


def compact(thresholds: np.ndarray) -> np.ndarray:
    """(1, n) when every channel has the same thresholds, else unchanged."""
    if thresholds.shape[0] > 1 and np.all(thresholds == thresholds[:1]):
        return thresholds[:1]
    return thresholds


class AbsorbMulIntoMultiThreshold(Transformation):
    """Divide thresholds by a non-negative scale that feeds them."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mul in model.graph.node:
            found = const_mul_into(model, mul, ("MultiThreshold",))
            if found is None:
                continue
            operand, mt = found
            thresholds = model.get_initializer(mt.input[1])
            shape = model.get_tensor_shape(mul.output[0])
            if thresholds is None or shape is None:
                continue
            c = channel_vector(operand[1], shape, channel_axis(mt))
            if c is not None and np.all(c >= 0):
                matches.add((mul, mt), operand[0], c, thresholds)
        for mul, mt, data_index, c, thresholds in matches:
            new = compact(scaled_thresholds(thresholds, c))
            mt.input[1] = new_initializer(model, f"{mt.name}_T", new)
            mt.input[0] = mul.input[data_index]
            model.graph.node.remove(mul)
        return model, bool(matches)
