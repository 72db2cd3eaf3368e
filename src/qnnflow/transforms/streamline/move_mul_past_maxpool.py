"""A positive scale in front of a MaxPool is moved behind it:

    Mul(c) -> MaxPool  ==>  MaxPool -> Mul(c)       (c > 0, scalar or per channel)

max(c*x) = c*max(x) for c > 0, and MaxPool's implicit padding (-inf) is unchanged by it.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    Matches,
    channel_vector,
    const_mul_into,
    swap_past,
)


class MoveMulPastMaxPool(Transformation):
    """Push positive Muls downstream through max-pools."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mul in model.graph.node:
            found = const_mul_into(model, mul, ("MaxPool",))
            if found is None or len(found[1].output) != 1:
                continue
            operand, pool = found
            c = channel_vector(operand[1], model.get_tensor_shape(mul.output[0]), axis=1)
            if c is not None and np.all(c > 0):
                matches.add((mul, pool), operand[0])
        for mul, pool, data_index in matches:
            swap_past(model, mul, pool, data_index)
        return model, bool(matches)
