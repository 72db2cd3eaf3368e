"""Arithmetic, concatenation and shape ops -> torch.add / mul / sub / div / cat / reshape /
permute/flatten calls, written so the module runs on any batch size."""

from __future__ import annotations

import operator

import numpy as np
import onnx
import torch
from torch import nn

from qnnflow.quant.ptq.onnx_to_fx.builder import FxBuilder

_ARITHMETIC = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}
_COMMUTATIVE = ("Add", "Mul")


def convert_arithmetic(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """Add/Sub/Mul/Div: a scalar constant second operand stays a Python number, another
    constant a buffer on the root; a commutative op takes its computed operand first."""
    left, right = node.input[0], node.input[1]
    if node.op_type in _COMMUTATIVE and b.const(left) is not None and b.const(right) is None:
        left, right = right, left
    constant = b.const(right)
    second = float(constant.reshape(-1)[0]) if constant is not None and constant.size == 1 else None
    args = (b.value(left), b.value(right) if second is None else second)
    return b.call_function(_ARITHMETIC[node.op_type], args)


def convert_concat(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    axis = int(b.attrs(node)["axis"]) % len(b.shape(node.input[0]))
    if axis == 0:
        raise b.fail("concatenation along the batch axis is not supported")
    return b.call_function(torch.cat, ([b.value(t) for t in node.input if t],), {"dim": axis})


def _keeps_batch(in_shape: list[int], out_shape: list[int]) -> bool:
    return bool(in_shape) and bool(out_shape) and in_shape[0] == 1 and out_shape[0] == 1


def convert_reshape(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """Reshape/Flatten/Squeeze/Unsqueeze -> torch.flatten (Flatten at axis 1: a call, not
    nn.Flatten, because Brevitas passes a quantized tensor through the call without
    requantizing it) or torch.reshape to
    the inferred static shape with the batch as -1; a shape that moves the batch stays static
    (such a module runs at batch 1 only)."""
    in_shape, out_shape = b.shape(node.input[0]), b.shape(node.output[0])
    x = b.value(node.input[0])
    if node.op_type == "Flatten" and int(b.attrs(node).get("axis", 1)) == 1 and in_shape[0] == 1:
        return b.call_function(torch.flatten, (x, 1))
    target = [-1, *out_shape[1:]] if _keeps_batch(in_shape, out_shape) else out_shape
    return b.call_function(torch.reshape, (x, tuple(target)))


def convert_transpose(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    rank = len(b.shape(node.input[0]))
    perm = [int(p) for p in b.attrs(node).get("perm", list(range(rank))[::-1])]
    return b.call_function(torch.permute, (b.value(node.input[0]), tuple(perm)))


def convert_slice(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """Slice with constant starts/ends/axes/steps (opset >= 10) -> x[..., a:b:s, ...]."""
    if b.opset < 10:
        raise b.fail(f"opset {b.opset} Slice (attributes) is not supported; export at opset >= 10")
    shape = b.shape(node.input[0])
    starts = b.need_const(node.input[1], "starts").tolist()
    ends = b.need_const(node.input[2], "ends").tolist()
    axes_name, steps_name = b.optional_input(node, 3), b.optional_input(node, 4)
    axes = b.need_const(axes_name, "axes").tolist() if axes_name else list(range(len(starts)))
    steps = b.need_const(steps_name, "steps").tolist() if steps_name else [1] * len(starts)
    index = [slice(None)] * len(shape)
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        axis %= len(shape)
        if axis == 0 or step < 1:
            raise b.fail("slicing the batch axis or with steps < 1 is not supported")
        size = shape[axis]
        start, end = (int(np.clip(v + size if v < 0 else v, 0, size)) for v in (start, end))
        index[axis] = slice(start, end, int(step))
    return b.call_function(operator.getitem, (b.value(node.input[0]), tuple(index)))


def convert_identity(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """Identity, inference Dropout and a Cast to float are no-ops."""
    if node.op_type == "Cast" and b.attrs(node).get("to") != onnx.TensorProto.FLOAT:
        raise b.fail("only a Cast to float is supported")
    return b.value(node.input[0])


def convert_depth_to_space(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """DepthToSpace: CRD -> nn.PixelShuffle; DCR (ONNX's default) -> reshape, permute,
    reshape (the batch kept as -1)."""
    attrs = b.attrs(node)
    size = int(attrs["blocksize"])
    x = b.value(node.input[0])
    if attrs.get("mode", "DCR") == "CRD":
        return b.call_module(nn.PixelShuffle(size), [x])
    _, channels, height, width = b.shape(node.input[0])
    depth = channels // (size * size)
    blocks = b.call_function(torch.reshape, (x, (-1, size, size, depth, height, width)))
    moved = b.call_function(torch.permute, (blocks, (0, 3, 4, 1, 5, 2)))
    return b.call_function(torch.reshape, (moved, (-1, depth, height * size, width * size)))
