"""Global pooling of an integer NCHW tensor over H and W becomes a GlobalAccPool (the
per-channel sum) in NHWC between Transposes:

    ReduceSum(x, axes [2, 3])  ==>  Transpose -> GlobalAccPool -> Transpose (or Flatten)
    GlobalAveragePool(x) / ReduceMean(x, axes [2, 3])
==> Transpose -> GlobalAccPool -> Transpose (or Flatten) -> Mul(1 / (H*W)) on the host

Streamlining (GlobalMeanToSum) already splits an integer mean into the sum and a scale that
travels into the next thresholds; a mean it did not see keeps its scale here."""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.ops.global_pool import pool_sum_type
from qnnflow.transforms.streamline.global_pool_nodes import (
    MEAN_OPS,
    POOL_OPS,
    keeps_dims,
    spatial_pool_problem,
)
from qnnflow.transforms.streamline.patterns import new_initializer
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC, transpose
from qnnflow.transforms.to_hw.matches import convertible
from qnnflow.util.names import new_tensor_name


def reason_not_convertible(model: ModelWrapper, node) -> str | None:
    """None when `node` becomes a GlobalAccPool, else why it stays on the host."""
    problem = spatial_pool_problem(model, node)
    if problem is not None:
        return problem
    if model.get_initializer(node.input[0]) is not None:
        return f"input '{node.input[0]}' is a constant, not a stream"
    dtype = model.get_tensor_datatype(node.input[0])
    if dtype is None or not dtype.is_integer():
        kind = dtype.name if dtype is not None else "untyped"
        return (
            f"input '{node.input[0]}' is {kind}, not integer (a float scale in front of the "
            "pool that streamlining could not move behind it)"
        )
    return None


class ConvertGlobalPoolToHW(Transformation):
    ORDER = 45  # after the max-pools, before the fully connected layers that read its sums
    OP_TYPES = POOL_OPS
    decline_reason = staticmethod(reason_not_convertible)

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = convertible(model, POOL_OPS, reason_not_convertible)
        for node, _ in matches:
            self._convert(model, node)
        return model, bool(matches)

    def _convert(self, model: ModelWrapper, node) -> None:
        name = node.name or node.output[0]
        idt = model.get_tensor_datatype(node.input[0])
        _, c, h, w = model.get_tensor_shape(node.input[0])
        odt = pool_sum_type(idt, h * w)
        pre, x = transpose(model, node.input[0], TO_NHWC, f"{name}_to_nhwc")
        pooled = new_tensor_name(model, f"{name}_hw_out")
        hw = helper.make_node(
            "GlobalAccPool",
            [x],
            [pooled],
            name=f"{name}_hw",
            domain=DOMAIN,
            NumChannels=c,
            ImgDim=[h, w],
            inputDataType=idt.name,
            outputDataType=odt.name,
        )
        model.set_tensor_shape(pooled, [1, 1, 1, c])
        model.set_tensor_datatype(pooled, odt)
        mean = node.op_type in MEAN_OPS
        total = new_tensor_name(model, f"{name}_sum") if mean else node.output[0]
        if keeps_dims(node):
            post = helper.make_node("Transpose", [pooled], [total], name=f"{name}_to_nchw",
                                    perm=TO_NCHW)  # fmt: skip
            model.set_tensor_shape(total, [1, c, 1, 1])
        else:
            post = helper.make_node("Flatten", [pooled], [total], name=f"{name}_flat", axis=1)
            model.set_tensor_shape(total, [1, c])
        model.set_tensor_datatype(total, odt)
        nodes = [pre, hw, post]
        if mean:
            scale = new_initializer(model, f"{name}_scale", np.float32(1.0 / (h * w)))
            nodes.append(
                helper.make_node("Mul", [total, scale], [node.output[0]], name=f"{name}_scale")
            )
        position = list(model.graph.node).index(node)
        model.graph.node.remove(node)
        for offset, new in enumerate(nodes):
            model.graph.node.insert(position + offset, new)
