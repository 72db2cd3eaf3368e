"""A constant added in front of a thresholding is folded into its thresholds:

    Add(b) -> MultiThreshold(T)  ==>  MultiThreshold(T - b)

b is a scalar or one value per channel of the MultiThreshold's channel axis. T - b is taken
exactly: the least float32 x with float32(x + b) >= T (least_float32), so a sum that lands on
T, or a strict boundary one float32 step above a tie, is decided as the float32 Add decides it.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.absorb_mul_into_multithreshold import compact
from qnnflow.transforms.streamline.least_float32 import least_input_after_add
from qnnflow.transforms.streamline.patterns import (
    Matches,
    channel_axis,
    channel_vector,
    const_operand,
    new_initializer,
    sole_consumer,
)


class AbsorbAddIntoMultiThreshold(Transformation):
    """Subtract a bias that feeds a thresholding from its thresholds."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for add in model.graph.node:
            operand = const_operand(model, add) if add.op_type == "Add" else None
            if operand is None:
                continue
            mt = sole_consumer(model, add.output[0])
            if mt is None or mt.op_type != "MultiThreshold" or mt.input[0] != add.output[0]:
                continue
            thresholds = model.get_initializer(mt.input[1])
            shape = model.get_tensor_shape(add.output[0])
            if thresholds is None or shape is None:
                continue
            b = channel_vector(operand[1], shape, channel_axis(mt))
            if b is not None and np.all(np.isfinite(b)):
                matches.add((add, mt), operand[0], b, thresholds)
        for add, mt, data_index, b, thresholds in matches:
            t = np.broadcast_to(thresholds.astype(np.float64), (b.shape[0], thresholds.shape[1]))
            shifted = least_input_after_add(t, b.reshape(-1, 1))
            mt.input[1] = new_initializer(model, f"{mt.name}_T", compact(shifted))
            mt.input[0] = add.input[data_index]
            model.graph.node.remove(add)
        return model, bool(matches)
