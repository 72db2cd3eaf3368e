"""A constant add in front of a constant scale is moved behind it:

    Add(b) -> Mul(a)  ==>  Mul(a) -> Add(a * b)

so that Muls meet Muls (CollapseRepeatedMul) and Adds end up next to the thresholds
(AbsorbAddIntoMultiThreshold), e.g. for a conv bias followed by a BatchNorm.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    Matches,
    const_operand,
    new_initializer,
    sole_consumer,
    swap_past,
)


class MoveAddPastMul(Transformation):
    """Swap Add(b) -> Mul(a) into Mul(a) -> Add(a*b)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for add in model.graph.node:
            bias = const_operand(model, add) if add.op_type == "Add" else None
            if bias is None:
                continue
            mul = sole_consumer(model, add.output[0])
            if mul is None or mul.op_type != "Mul":
                continue
            scale = const_operand(model, mul)
            if scale is None or mul.input[scale[0]] != add.output[0]:
                continue
            matches.add((add, mul), bias, scale)
        for add, mul, (i_add, b), (i_mul, a) in matches:
            if i_mul != 0:  # swap_past reads the moved node's data from input 0 of `mul`
                mul.input[0], mul.input[1] = mul.input[1], mul.input[0]
            product = a.astype(np.float64) * b.astype(np.float64)
            add.input[1 - i_add] = new_initializer(model, f"{add.name}_scaled", product)
            swap_past(model, add, mul, i_add)
        return model, bool(matches)
