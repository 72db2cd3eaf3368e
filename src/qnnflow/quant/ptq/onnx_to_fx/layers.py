"""Compute layers with constant weights -> nn.Conv2d / nn.Linear / nn.BatchNorm*d, the modules
Brevitas' graph quantizer recognises and replaces."""

from __future__ import annotations

import math

import numpy as np
import onnx
import torch
from torch import nn

from qnnflow.quant.ptq.onnx_to_fx.builder import FxBuilder, parameter


def spatial_pads(
    b: FxBuilder,
    attrs: dict,
    in_hw: list[int],
    kernel: list[int],
    strides: list[int],
    dil: list[int],
) -> list[int]:
    """ONNX pads [top, left, bottom, right] of a 2-D window op, auto_pad resolved."""
    auto = attrs.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", "VALID"):
        pads = list(attrs.get("pads", [0, 0, 0, 0])) if auto == "NOTSET" else [0, 0, 0, 0]
        if len(pads) != 4:
            raise b.fail(f"pads {pads} are not those of a 2-D window")
        return [int(p) for p in pads]
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise b.fail(f"auto_pad '{auto}' is not supported")
    begin, end = [], []
    for size, k, s, d in zip(in_hw, kernel, strides, dil, strict=True):
        total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
        small, large = total // 2, total - total // 2
        begin.append(small if auto == "SAME_UPPER" else large)
        end.append(large if auto == "SAME_UPPER" else small)
    return begin + end


def pad_module(pads: list[int], value: float = 0.0) -> nn.Module:
    """An explicit pad before a window op whose ONNX pads torch cannot express."""
    top, left, bottom, right = pads
    return nn.ConstantPad2d((left, right, top, bottom), value)


def symmetric(pads: list[int]) -> bool:
    return pads[0] == pads[2] and pads[1] == pads[3]


def convert_conv(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """Conv (2-D, constant weights, any group/dilation/stride/pads) -> nn.Conv2d."""
    weight = b.need_const(node.input[1], "the weight")
    if weight.ndim != 4:
        raise b.fail(f"only 2-D convolutions are supported (weight has {weight.ndim} dims)")
    bias_name = b.optional_input(node, 2)
    bias = b.need_const(bias_name, "the bias") if bias_name else None
    attrs = b.attrs(node)
    groups = int(attrs.get("group", 1))
    kernel = [int(k) for k in weight.shape[2:]]
    strides = [int(s) for s in attrs.get("strides", [1, 1])]
    dil = [int(d) for d in attrs.get("dilations", [1, 1])]
    pads = spatial_pads(b, attrs, b.shape(node.input[0])[2:], kernel, strides, dil)
    x = b.value(node.input[0])
    if not symmetric(pads):
        x = b.call_module(pad_module(pads), [x], suffix="_pad")
        pads = [0, 0, 0, 0]
    out_ch, in_per_group = weight.shape[:2]
    conv = nn.Conv2d(
        in_per_group * groups,
        out_ch,
        tuple(kernel),
        stride=tuple(strides),
        padding=(pads[0], pads[1]),
        dilation=tuple(dil),
        groups=groups,
        bias=bias is not None,
    )
    conv.weight = parameter(weight)
    if bias is not None:
        conv.bias = parameter(bias)
    return b.call_module(conv, [x])


def _linear(weight: np.ndarray, bias: np.ndarray | None) -> nn.Linear:
    """nn.Linear computing x @ weight.T + bias."""
    out_features, in_features = weight.shape
    linear = nn.Linear(in_features, out_features, bias=bias is not None)
    linear.weight = parameter(weight)
    if bias is not None:
        linear.bias = parameter(np.broadcast_to(bias, (out_features,)))
    return linear


def convert_gemm(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """Gemm(A, B const, C const) -> nn.Linear with alpha and beta folded into weight and bias."""
    attrs = b.attrs(node)
    if attrs.get("transA", 0):
        raise b.fail("transA=1 is not supported (the input must be the left operand)")
    matrix = b.need_const(node.input[1], "the B matrix")
    weight = matrix if attrs.get("transB", 0) else matrix.T
    weight = weight.astype(np.float64) * attrs.get("alpha", 1.0)
    bias_name = b.optional_input(node, 2)
    bias = None
    if bias_name:
        c = b.need_const(bias_name, "the C bias").astype(np.float64) * attrs.get("beta", 1.0)
        if c.size not in (1, weight.shape[0]) or c.ndim > 1 and c.shape[0] != 1:
            raise b.fail(f"C of shape {list(c.shape)} is not a per-output bias")
        bias = c.reshape(-1)
    return b.call_module(_linear(weight, bias), [b.value(node.input[0])])


def _absorbed_bias(b: FxBuilder, node: onnx.NodeProto, features: int) -> tuple | None:
    """A constant per-output Add that alone reads this MatMul's output: it becomes the
    Linear's bias (torch.onnx writes nn.Linear on 3-D inputs as MatMul + Add)."""
    out = node.output[0]
    readers = b.consumers.get(out, [])
    if out in b.graph_outputs or len(readers) != 1 or readers[0].op_type != "Add":
        return None
    add = readers[0]
    other = add.input[1] if add.input[0] == out else add.input[0]
    bias = b.const(other)
    if bias is None or bias.size not in (1, features) or bias.ndim > 1:
        return None
    return bias, add.output[0]


def convert_matmul(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """MatMul(X, constant 2-D W) -> nn.Linear (a following constant Add is its bias);
    MatMul of two computed tensors -> torch.matmul."""
    matrix = b.const(node.input[1])
    if b.const(node.input[0]) is not None:
        raise b.fail("a constant left operand is not supported (the input must come first)")
    if matrix is None:
        return b.call_function(torch.matmul, (b.value(node.input[0]), b.value(node.input[1])))
    if matrix.ndim != 2:
        raise b.fail(f"a constant matrix of {matrix.ndim} dims is not supported (2 expected)")
    absorbed = _absorbed_bias(b, node, matrix.shape[1])
    bias = absorbed[0] if absorbed else None
    y = b.call_module(_linear(matrix.T.astype(np.float64), bias), [b.value(node.input[0])])
    if absorbed:
        b.skipped.add(absorbed[1])  # the Add's output is this Linear's
        b.bind(absorbed[1], y)
    return y


def convert_batchnorm(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """BatchNormalization (inference) -> nn.BatchNorm2d (4-D input) or nn.BatchNorm1d."""
    rank = len(b.shape(node.input[0]))
    if len(node.input) != 5:
        raise b.fail("BatchNormalization needs 5 inputs")
    scale, bias, mean, var = (
        b.need_const(t, what)
        for t, what in zip(node.input[1:], ("scale", "B", "mean", "var"), strict=True)
    )
    eps = float(b.attrs(node).get("epsilon", 1e-5))
    if rank == 4:
        bn: nn.Module = nn.BatchNorm2d(scale.size, eps=eps)
    elif rank in (2, 3):
        bn = nn.BatchNorm1d(scale.size, eps=eps)
    else:
        raise b.fail(f"a {rank}-D input is not supported (2-, 3- or 4-D)")
    bn.weight = parameter(scale)
    bn.bias = parameter(bias)
    bn.running_mean = torch.from_numpy(np.array(mean, dtype=np.float32))
    bn.running_var = torch.from_numpy(np.array(var, dtype=np.float32))
    return b.call_module(bn, [b.value(node.input[0])])
