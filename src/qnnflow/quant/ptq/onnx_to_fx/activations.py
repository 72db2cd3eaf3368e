"""Element-wise activations -> the standard torch modules Brevitas maps to quantized ones."""

from __future__ import annotations

import math

import onnx
import torch
from torch import nn

from qnnflow.quant.ptq.onnx_to_fx.builder import FxBuilder

_SIMPLE = {
    "Relu": nn.ReLU,
    "Sigmoid": nn.Sigmoid,
    "Tanh": nn.Tanh,
    "HardSwish": nn.Hardswish,
}


def _clip_module(b: FxBuilder, node: onnx.NodeProto) -> nn.Module:
    """Clip(0, 6) -> nn.ReLU6, Clip(0, none) -> nn.ReLU, other bounds -> nn.Hardtanh."""
    attrs = b.attrs(node)
    if b.opset < 11:
        low, high = attrs.get("min", -math.inf), attrs.get("max", math.inf)
    else:
        names = [b.optional_input(node, 1), b.optional_input(node, 2)]
        low, high = (
            float(b.need_const(n, "the bound")) if n else d
            for n, d in zip(names, (-math.inf, math.inf), strict=True)
        )
    if low == 0.0 and high == 6.0:
        return nn.ReLU6()
    if low == 0.0 and high == math.inf:
        return nn.ReLU()
    return nn.Hardtanh(float(low), float(high))


def _softmax_module(b: FxBuilder, node: onnx.NodeProto) -> nn.Module:
    """Softmax over the last axis (opset < 13 flattens from `axis` on: only the same thing
    when that is the last axis)."""
    rank = len(b.shape(node.input[0]))
    axis = int(b.attrs(node).get("axis", -1 if b.opset >= 13 else 1)) % rank
    if axis == 0:
        raise b.fail("softmax over the batch axis is not supported")
    if b.opset < 13 and axis != rank - 1:
        raise b.fail(f"opset {b.opset} softmax with axis {axis} of a {rank}-D tensor flattens")
    return nn.Softmax(dim=axis - rank)


def _hard_sigmoid(b: FxBuilder, node: onnx.NodeProto) -> nn.Module:
    attrs = b.attrs(node)
    alpha, beta = attrs.get("alpha", 0.2), attrs.get("beta", 0.5)
    if not (math.isclose(alpha, 1 / 6, rel_tol=1e-6) and math.isclose(beta, 0.5)):
        raise b.fail(f"alpha {alpha}, beta {beta}: only torch's Hardsigmoid (1/6, 0.5)")
    return nn.Hardsigmoid()


def convert_activation(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """Relu/Sigmoid/Tanh/HardSwish/LeakyRelu/Elu/Clip/HardSigmoid/Softmax -> one nn module."""
    op = node.op_type
    attrs = b.attrs(node)
    if op in _SIMPLE:
        module = _SIMPLE[op]()
    elif op == "LeakyRelu":
        module = nn.LeakyReLU(float(attrs.get("alpha", 0.01)))
    elif op == "Elu":
        module = nn.ELU(float(attrs.get("alpha", 1.0)))
    elif op == "Clip":
        module = _clip_module(b, node)
    elif op == "HardSigmoid":
        module = _hard_sigmoid(b, node)
    else:
        module = _softmax_module(b, node)
    return b.call_module(module, [b.value(node.input[0])])


ACTIVATION_OPS = (*_SIMPLE, "LeakyRelu", "Elu", "Clip", "HardSigmoid", "Softmax")
