"""Pooling, padding and resizing -> nn.MaxPool2d / nn.AvgPool2d / nn.Adaptive*Pool2d /
nn.*Pad2d / nn.Upsample."""

from __future__ import annotations

import onnx
import torch
from torch import nn

from qnnflow.quant.ptq.onnx_to_fx.builder import FxBuilder
from qnnflow.quant.ptq.onnx_to_fx.layers import pad_module, spatial_pads, symmetric


def _window(b: FxBuilder, node: onnx.NodeProto) -> tuple[list[int], list[int], list[int], list]:
    attrs = b.attrs(node)
    kernel = [int(k) for k in attrs.get("kernel_shape", [])]
    if len(kernel) != 2 or len(b.shape(node.input[0])) != 4:
        raise b.fail(f"only 2-D pooling of NCHW tensors is supported (kernel {kernel})")
    strides = [int(s) for s in attrs.get("strides", [1, 1])]
    dil = [int(d) for d in attrs.get("dilations", [1, 1])]
    pads = spatial_pads(b, attrs, b.shape(node.input[0])[2:], kernel, strides, dil)
    return kernel, strides, dil, pads


def _torch_padding(pads: list[int], kernel: list[int]) -> bool:
    """torch pools pad symmetrically and by at most half the kernel."""
    return symmetric(pads) and all(2 * p <= k for p, k in zip(pads[:2], kernel, strict=True))


def convert_maxpool(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """MaxPool -> nn.MaxPool2d; pads torch cannot take become an explicit pad first: edge
    replication (the same maxima when every window holds a real pixel) or -inf."""
    if len(node.output) > 1 and node.output[1]:
        raise b.fail("the Indices output is not supported")
    kernel, strides, dil, pads = _window(b, node)
    attrs = b.attrs(node)
    x = b.value(node.input[0])
    if not _torch_padding(pads, kernel):
        if dil == [1, 1] and all(p < k for p, k in zip(pads, kernel * 2, strict=True)):
            top, left, bottom, right = pads
            pad: nn.Module = nn.ReplicationPad2d((left, right, top, bottom))
        else:
            pad = pad_module(pads, float("-inf"))
        x = b.call_module(pad, [x], suffix="_pad")
        pads = [0, 0, 0, 0]
    pool = nn.MaxPool2d(
        tuple(kernel),
        tuple(strides),
        padding=(pads[0], pads[1]),
        dilation=tuple(dil),
        ceil_mode=bool(attrs.get("ceil_mode", 0)),
    )
    return b.call_module(pool, [x])


def convert_avgpool(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """AveragePool -> nn.AvgPool2d (explicit zero pad first when pads are asymmetric and
    count_include_pad=1; asymmetric pads that are not counted have no torch equivalent)."""
    kernel, strides, dil, pads = _window(b, node)
    if dil != [1, 1]:
        raise b.fail(f"dilations {dil} are not supported")
    attrs = b.attrs(node)
    include = bool(attrs.get("count_include_pad", 0))
    x = b.value(node.input[0])
    if not _torch_padding(pads, kernel):
        if not include:
            raise b.fail(f"pads {pads} without count_include_pad have no torch equivalent")
        x = b.call_module(pad_module(pads), [x], suffix="_pad")
        pads = [0, 0, 0, 0]
    pool = nn.AvgPool2d(
        tuple(kernel),
        tuple(strides),
        padding=(pads[0], pads[1]),
        ceil_mode=bool(attrs.get("ceil_mode", 0)),
        count_include_pad=include,
    )
    return b.call_module(pool, [x])


def convert_global_pool(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """GlobalAveragePool / GlobalMaxPool -> nn.AdaptiveAvgPool2d(1) / nn.AdaptiveMaxPool2d(1)."""
    if len(b.shape(node.input[0])) != 4:
        raise b.fail("only NCHW inputs are supported")
    pool = (
        nn.AdaptiveAvgPool2d(1) if node.op_type == "GlobalAveragePool" else nn.AdaptiveMaxPool2d(1)
    )
    return b.call_module(pool, [b.value(node.input[0])])


def convert_reduce_mean(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """ReduceMean over H and W of NCHW -> nn.AdaptiveAvgPool2d(1) (+ nn.Flatten without
    keepdims); over other axes -> torch.mean."""
    rank = len(b.shape(node.input[0]))
    attrs = b.attrs(node)
    axes_input = b.optional_input(node, 1)
    axes = attrs.get("axes") if not axes_input else b.need_const(axes_input, "axes").tolist()
    axes = sorted(a % rank for a in (axes if axes is not None else range(rank)))
    keep = bool(attrs.get("keepdims", 1))
    x = b.value(node.input[0])
    if rank == 4 and axes == [2, 3]:
        y = b.call_module(nn.AdaptiveAvgPool2d(1), [x])
        return y if keep else b.call_module(nn.Flatten(), [y], suffix="_flatten")
    if 0 in axes:
        raise b.fail("averaging over the batch axis is not supported")
    return b.call_function(torch.mean, (x,), {"dim": tuple(axes), "keepdim": keep})


def _resize_scales(b: FxBuilder, node: onnx.NodeProto) -> list[float]:
    in_shape = b.shape(node.input[0])
    if node.op_type == "Upsample" and "scales" in b.attrs(node):
        return [float(s) for s in b.attrs(node)["scales"]]
    scale_input = node.input[1] if node.op_type == "Upsample" or b.opset < 11 else ""
    if node.op_type == "Resize" and b.opset >= 11:
        scale_input = b.optional_input(node, 2)
    scales = b.const(scale_input)
    if scales is not None and scales.size:
        return [float(s) for s in scales]
    sizes_name = b.optional_input(node, 3)
    sizes = b.need_const(sizes_name, "scales or sizes") if sizes_name else None
    if sizes is None:
        raise b.fail("neither scales nor sizes is a constant")
    return [float(o) / i for o, i in zip(sizes.tolist(), in_shape, strict=True)]


def convert_resize(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """Resize / Upsample of H and W by integer factors -> nn.Upsample: nearest (asymmetric +
    floor, or half-pixel + round, which pick the same pixels at integer factors) or linear
    (half-pixel -> bilinear, align_corners -> bilinear with align_corners)."""
    attrs = b.attrs(node)
    scales = _resize_scales(b, node)
    if len(scales) != 4 or scales[:2] != [1.0, 1.0]:
        raise b.fail(f"scales {scales}: only NCHW resizing of H and W is supported")
    mode = attrs.get("mode", "nearest")
    ctm = attrs.get(
        "coordinate_transformation_mode", "half_pixel" if b.opset >= 11 else "asymmetric"
    )
    factor = tuple(scales[2:])
    if mode == "nearest":
        modern = node.op_type == "Resize" and b.opset >= 11  # older forms floor
        nearest = attrs.get("nearest_mode", "round_prefer_floor" if modern else "floor")
        same_pixels = (ctm == "asymmetric" and nearest == "floor") or (
            ctm in ("half_pixel", "pytorch_half_pixel") and nearest.startswith("round")
        )
        if not same_pixels or any(s != int(s) or s < 1 for s in factor):
            raise b.fail(
                f"nearest resize with {ctm}/{nearest} at scales {list(factor)} is not supported "
                "(integer factors with asymmetric/floor or half_pixel/round)"
            )
        module = nn.Upsample(scale_factor=factor, mode="nearest")
    elif mode == "linear" and ctm in ("half_pixel", "pytorch_half_pixel", "align_corners"):
        corners = ctm == "align_corners"
        module = nn.Upsample(scale_factor=factor, mode="bilinear", align_corners=corners)
    else:
        raise b.fail(f"resize mode '{mode}' with '{ctm}' is not supported")
    return b.call_module(module, [b.value(node.input[0])])


_PAD_MODES = {"reflect": nn.ReflectionPad2d, "edge": nn.ReplicationPad2d}


def convert_pad(b: FxBuilder, node: onnx.NodeProto) -> torch.fx.Node:
    """Pad of H and W of NCHW -> nn.ConstantPad2d / nn.ReflectionPad2d / nn.ReplicationPad2d."""
    attrs = b.attrs(node)
    rank = len(b.shape(node.input[0]))
    if b.opset < 11:
        pads, value = list(attrs.get("pads", [])), float(attrs.get("value", 0.0))
    else:
        pads = b.need_const(node.input[1], "pads").tolist()
        value_name = b.optional_input(node, 2)
        value = float(b.need_const(value_name, "the pad value")) if value_name else 0.0
        axes_name = b.optional_input(node, 3)
        if axes_name:
            axes = [a % rank for a in b.need_const(axes_name, "axes").tolist()]
            full = [0] * (2 * rank)
            for i, axis in enumerate(axes):
                full[axis], full[rank + axis] = pads[i], pads[len(axes) + i]
            pads = full
    if rank != 4 or len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
        raise b.fail(f"pads {pads}: only padding H and W of NCHW tensors is supported")
    top, left, bottom, right = (int(p) for p in (pads[2], pads[3], pads[6], pads[7]))
    mode = attrs.get("mode", "constant")
    if mode == "constant":
        module: nn.Module = nn.ConstantPad2d((left, right, top, bottom), value)
    elif mode in _PAD_MODES:
        module = _PAD_MODES[mode]((left, right, top, bottom))
    else:
        raise b.fail(f"pad mode '{mode}' is not supported")
    return b.call_module(module, [b.value(node.input[0])])
