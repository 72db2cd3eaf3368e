"""What the global-pooling rewrites need to know about a node: whether it reduces an NCHW
tensor over exactly its two spatial axes (GlobalAveragePool, or ReduceMean / ReduceSum with
axes [2, 3] as an attribute or, from opset 13/18, as a constant input)."""

from __future__ import annotations

from onnx import NodeProto
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.transforms.streamline.patterns import attr

MEAN_OPS = ("GlobalAveragePool", "ReduceMean")
POOL_OPS = (*MEAN_OPS, "ReduceSum")


def spatial_pool_problem(model: ModelWrapper, node: NodeProto) -> str | None:
    """None when `node` averages or sums an NCHW tensor over H and W only, else why not."""
    if node.op_type not in POOL_OPS:
        return f"{node.op_type} is not a global pooling"
    shape = model.get_tensor_shape(node.input[0])
    if shape is None or len(shape) != 4:
        return f"input shape {shape} is not NCHW"
    if node.op_type == "GlobalAveragePool":
        return None
    if len(node.input) > 1 and node.input[1]:
        axes = model.get_initializer(node.input[1])
        if axes is None:
            return f"axes '{node.input[1]}' are not a constant"
        axes = [int(a) for a in axes.ravel()]
    else:
        axes = attr(node, "axes", None)
        if axes is None:
            return "reduces over every axis (no axes given), not over H and W"
    if sorted(a % 4 for a in axes) != [2, 3]:
        return f"axes={list(axes)} are not the spatial axes [2, 3]"
    return None


def keeps_dims(node: NodeProto) -> bool:
    """Whether the pooled output keeps the reduced axes as 1 ([1, C, 1, 1], else [1, C])."""
    return node.op_type == "GlobalAveragePool" or bool(attr(node, "keepdims", 1))
