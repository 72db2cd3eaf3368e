"""A scale in front of a global pooling is moved behind it (mean and sum are linear):

    Mul(c) -> GlobalAveragePool / ReduceMean / ReduceSum over (H, W)
==> pool -> Mul(c)          (c a scalar or per channel, of any sign)

so the pool reads the integer codes of the thresholds before it and can become a sum.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.global_pool_nodes import (
    POOL_OPS,
    keeps_dims,
    spatial_pool_problem,
)
from qnnflow.transforms.streamline.patterns import (
    Matches,
    channel_vector,
    const_mul_into,
    new_initializer,
    swap_past,
)


class MoveMulPastGlobalPool(Transformation):
    """Push constant Muls downstream through global poolings over H and W."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mul in model.graph.node:
            found = const_mul_into(model, mul, POOL_OPS)
            if found is None or spatial_pool_problem(model, found[1]) is not None:
                continue
            operand, pool = found
            c = channel_vector(operand[1], model.get_tensor_shape(mul.output[0]), axis=1)
            if c is not None:
                matches.add((mul, pool), operand[0], operand[1], c)
        for mul, pool, data_index, value, c in matches:
            if value.size > 1:
                shape = (1, -1, 1, 1) if keeps_dims(pool) else (1, -1)
                name = new_initializer(model, f"{mul.name}_pooled", c.reshape(shape))
                mul.input[1 - data_index] = name
            swap_past(model, mul, pool, data_index)
        return model, bool(matches)
