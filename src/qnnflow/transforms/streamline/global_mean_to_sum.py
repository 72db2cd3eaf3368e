"""The mean of an integer tensor over H and W is its integer sum times a float scale:

    GlobalAveragePool(x) / ReduceMean(x, axes [2, 3])    (x integer)
==> ReduceSum(x, axes [2, 3]) -> Mul(1 / (H*W))

The sum is typed in the smallest integer type holding it (so the thresholds after it round
to integers and to_hw makes it a GlobalAccPool); the scale travels on like any other. Sums
beyond 2^24 (not exact in float32) are left alone.
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops.global_pool import pool_sum_type
from qnnflow.transforms.streamline.global_pool_nodes import (
    MEAN_OPS,
    keeps_dims,
    spatial_pool_problem,
)
from qnnflow.transforms.streamline.patterns import new_initializer, new_tensor

FLOAT32_EXACT = 2**24


def _sum_type(model: ModelWrapper, node):
    """The sum's integer type, or None when the node is not an integer spatial mean."""
    if node.op_type not in MEAN_OPS or spatial_pool_problem(model, node) is not None:
        return None
    dtype = model.get_tensor_datatype(node.input[0])
    if dtype is None or not dtype.is_integer():
        return None
    _, _, h, w = model.get_tensor_shape(node.input[0])
    odt = pool_sum_type(dtype, h * w)
    return odt if max(-odt.min(), odt.max()) <= FLOAT32_EXACT else None


class GlobalMeanToSum(Transformation):
    """Split integer spatial means into an integer ReduceSum and a scale."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = [(n, t) for n in model.graph.node if (t := _sum_type(model, n)) is not None]
        opset = next((o.version for o in model.model.opset_import if o.domain == ""), 13)
        for node, odt in matches:
            name = node.name or node.output[0]
            _, _, h, w = model.get_tensor_shape(node.input[0])
            keep = 1 if keeps_dims(node) else 0
            total = new_tensor(model, model.get_tensor_shape(node.output[0]), f"{name}_sum")
            if opset >= 13:
                axes = new_initializer(model, f"{name}_axes", np.array([2, 3]), np.int64)
                reduce = helper.make_node(
                    "ReduceSum", [node.input[0], axes], [total], name=f"{name}_sum", keepdims=keep
                )
            else:
                reduce = helper.make_node(
                    "ReduceSum", [node.input[0]], [total], name=f"{name}_sum", axes=[2, 3],
                    keepdims=keep,
                )  # fmt: skip
            model.set_tensor_datatype(total, odt)
            scale = new_initializer(model, f"{name}_scale", np.float32(1.0 / (h * w)))
            mul = helper.make_node("Mul", [total, scale], [node.output[0]], name=f"{name}_scale")
            position = list(model.graph.node).index(node)
            model.graph.node.remove(node)
            model.graph.node.insert(position, mul)
            model.graph.node.insert(position, reduce)
        return model, bool(matches)
