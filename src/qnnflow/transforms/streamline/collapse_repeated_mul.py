"""Two constant scales in a row become one:

    Mul(a) -> Mul(b)  ==>  Mul(a * b)

The product is computed in float64 and stored as float32. The first Mul must feed only the
second.
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
)


class CollapseRepeatedMul(Transformation):
    """Merge chains of constant Muls."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for first in model.graph.node:
            outer = const_operand(model, first) if first.op_type == "Mul" else None
            if outer is None:
                continue
            second = sole_consumer(model, first.output[0])
            if second is None or second.op_type != "Mul":
                continue
            inner = const_operand(model, second)
            if inner is None or second.input[inner[0]] != first.output[0]:
                continue
            matches.add((first, second), outer, inner)
        for first, second, (i_first, a), (i_second, b) in matches:
            product = a.astype(np.float64) * b.astype(np.float64)
            second.input[i_second] = first.input[i_first]
            second.input[1 - i_second] = new_initializer(model, f"{second.name}_product", product)
            model.graph.node.remove(first)
        return model, bool(matches)
