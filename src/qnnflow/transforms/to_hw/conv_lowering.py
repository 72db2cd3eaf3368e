"""What the conv conversions share: whether a Conv's geometry and datatypes suit a
ZeroPad -> SlidingWindow -> MatrixVectorUnit chain, and building that chain (NHWC between
Transposes) once the MatrixVectorUnit's parameters are known."""

from __future__ import annotations

import numpy as np
from onnx import NodeProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.ops import DOMAIN
from qnnflow.ops.bipolar import is_bipolar
from qnnflow.transforms.streamline.patterns import attr as conv_attr
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC, transpose
from qnnflow.transforms.to_hw.mvu_params import MVUParams, make_mvu
from qnnflow.util.names import new_tensor_name


def _dtype_text(dtype) -> str:
    return dtype.name if dtype is not None else "untyped"


def conv_geometry_reason(model: ModelWrapper, conv: NodeProto) -> str | None:
    """Why the conv's weights, input type, kernel, groups, dilations or padding do not fit a
    SlidingWindow -> MatrixVectorUnit chain; None when they do (the bias is not looked at)."""
    weights = model.get_initializer(conv.input[1])
    idt = model.get_tensor_datatype(conv.input[0])
    if weights is None:
        return f"weights '{conv.input[1]}' are not a constant initializer"
    if idt is None or not idt.is_integer():
        return f"Conv input datatype {_dtype_text(idt)} is not integer"
    if weights.ndim != 4 or weights.shape[2] != weights.shape[3]:
        return f"kernel {'x'.join(map(str, weights.shape[2:]))} is not a square 2D kernel"
    if conv_attr(conv, "group", 1) != 1:
        return f"group={conv_attr(conv, 'group', 1)} (grouped/depthwise conv) not supported"
    if any(d != 1 for d in conv_attr(conv, "dilations", [1, 1])):
        return f"dilations={list(conv_attr(conv, 'dilations', [1, 1]))} not supported"
    if is_bipolar(idt) and any(conv_attr(conv, "pads", [0, 0, 0, 0])):
        return "zero padding of a BIPOLAR input (0 is neither -1 nor +1)"
    return None


def lower_conv(
    model: ModelWrapper, conv: NodeProto, params: MVUParams, end: str, replaced: list[NodeProto]
) -> None:
    """Replace the nodes `replaced` (the conv first) by Transpose -> [ZeroPad] ->
    SlidingWindow -> MatrixVectorUnit(params) -> Transpose writing the NCHW tensor `end`."""
    name = conv.name or conv.output[0]
    weights = model.get_initializer(conv.input[1])
    idt = model.get_tensor_datatype(conv.input[0])
    _, cin, k, _ = weights.shape
    _, _, h, w = model.get_tensor_shape(conv.input[0])
    top, left, bottom, right = conv_attr(conv, "pads", [0, 0, 0, 0])
    stride = conv_attr(conv, "strides", [1, 1])
    common = {"domain": DOMAIN, "inputDataType": idt.name}
    pre, x = transpose(model, conv.input[0], TO_NHWC, f"{name}_to_nhwc")
    nodes = [pre]
    if top or left or bottom or right:
        padded = new_tensor_name(model, f"{name}_pad_out")
        nodes.append(
            helper.make_node(
                "ZeroPad",
                [x],
                [padded],
                name=f"{name}_pad",
                ImgDim=[h, w],
                Padding=[top, left, bottom, right],
                NumChannels=cin,
                outputDataType=idt.name,
                **common,
            )
        )
        h, w, x = h + top + bottom, w + left + right, padded
        model.set_tensor_shape(x, [1, h, w, cin])
        model.set_tensor_datatype(x, idt)
    oh, ow = (h - k) // stride[0] + 1, (w - k) // stride[1] + 1
    windows = new_tensor_name(model, f"{name}_swg_out")
    nodes.append(
        helper.make_node(
            "SlidingWindow",
            [x],
            [windows],
            name=f"{name}_swg",
            ConvKernelDim=[k, k],
            IFMChannels=cin,
            IFMDim=[h, w],
            Stride=list(stride),
            outputDataType=idt.name,
            **common,
        )
    )
    model.set_tensor_shape(windows, [1, oh, ow, k * k * cin])
    model.set_tensor_datatype(windows, idt)
    mvu, mvu_out = make_mvu(model, params, windows, name, [1, oh, ow])
    nodes.append(mvu)
    nodes.append(
        helper.make_node("Transpose", [mvu_out], [end], name=f"{name}_to_nchw", perm=TO_NCHW)
    )
    position = list(model.graph.node).index(conv)
    for node in replaced:
        model.graph.node.remove(node)
    for offset, node in enumerate(nodes):
        model.graph.node.insert(position + offset, node)


def bias_vector(model: ModelWrapper, conv: NodeProto) -> np.ndarray | None:
    """The conv's constant bias as [1, C, 1, 1] float32; None without a bias input."""
    if len(conv.input) < 3 or not conv.input[2]:
        return None
    bias = model.get_initializer(conv.input[2])
    return None if bias is None else np.asarray(bias, np.float32).reshape(1, -1, 1, 1)
