"""Conv(integer weights) -> MultiThreshold  ==>  ZeroPad -> SlidingWindow -> MatrixVectorUnit
(thresholds fused), in NHWC between Transposes. The conv must have no bias, group 1 and no
dilation; what the MatrixVectorUnit can be (integer weights and input, the thresholds) is
decided by mvu_params (bipolar activations and XNOR layers included). A conv that cannot
convert stays on the host; decline_reason says why (the to_hw report lists it)."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.util.basic import get_by_name

from qnnflow.frontend.binparams.hidden_layers import conv_weight_matrix
from qnnflow.ops import DOMAIN
from qnnflow.ops.bipolar import is_bipolar
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC, transpose
from qnnflow.transforms.to_hw.mvu_params import (
    NotConvertible,
    fused_threshold_reason,
    make_mvu,
    mvu_params,
)
from qnnflow.util.names import new_tensor_name


def _attr(node, name: str, default):
    attr = get_by_name(node.attribute, name)
    return helper.get_attribute_value(attr) if attr is not None else default


def _dtype_text(dtype) -> str:
    return dtype.name if dtype is not None else "untyped"


def _match(model: ModelWrapper, conv) -> tuple | str:
    """(weight shape, input type, MultiThreshold, MVU parameters) when `conv` converts,
    else why not."""
    if len(conv.input) != 2:
        return "has a bias input (streamlining folds biases into the thresholds)"
    weights = model.get_initializer(conv.input[1])
    idt = model.get_tensor_datatype(conv.input[0])
    if weights is None:
        return f"weights '{conv.input[1]}' are not a constant initializer"
    if idt is None or not idt.is_integer():
        return f"Conv input datatype {_dtype_text(idt)} is not integer"
    if weights.ndim != 4 or weights.shape[2] != weights.shape[3]:
        return f"kernel {'x'.join(map(str, weights.shape[2:]))} is not a square 2D kernel"
    if _attr(conv, "group", 1) != 1:
        return f"group={_attr(conv, 'group', 1)} (grouped/depthwise conv) not supported"
    if any(d != 1 for d in _attr(conv, "dilations", [1, 1])):
        return f"dilations={list(_attr(conv, 'dilations', [1, 1]))} not supported"
    if is_bipolar(idt) and any(_attr(conv, "pads", [0, 0, 0, 0])):
        return "zero padding of a BIPOLAR input (0 is neither -1 nor +1)"
    consumers = model.find_consumers(conv.output[0])
    if len(consumers) != 1 or consumers[0].op_type != "MultiThreshold":
        readers = ", ".join(c.op_type for c in consumers) or "a graph output"
        return f"output is read by {readers}, not by exactly one MultiThreshold to fuse"
    mt = consumers[0]
    try:
        params = mvu_params(model, conv_weight_matrix(weights), idt, mt)
    except NotConvertible as why:
        return str(why)
    return weights.shape, idt, mt, params


class ConvertConvThresholdToHW(Transformation):
    ORDER = 30
    OP_TYPES = ("Conv", "MultiThreshold")

    @staticmethod
    def decline_reason(model: ModelWrapper, node) -> str | None:
        if node.op_type == "MultiThreshold":
            return fused_threshold_reason(model, node, ("Conv",), _match)
        match = _match(model, node)
        return match if isinstance(match, str) else None

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = [
            (n, m)
            for n in model.graph.node
            if n.op_type == "Conv" and not isinstance(m := _match(model, n), str)
        ]
        for conv, (shape, idt, mt, params) in matches:
            self._convert(model, conv, shape, idt, mt, params)
        return model, bool(matches)

    def _convert(self, model, conv, shape, idt, mt, params) -> None:
        name = conv.name or conv.output[0]
        _, cin, k, _ = shape
        _, _, h, w = model.get_tensor_shape(conv.input[0])
        top, left, bottom, right = _attr(conv, "pads", [0, 0, 0, 0])
        stride = _attr(conv, "strides", [1, 1])
        common = {"domain": DOMAIN, "inputDataType": idt.name}
        nodes = []
        pre, x = transpose(model, conv.input[0], TO_NHWC, f"{name}_to_nhwc")
        nodes.append(pre)
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
            helper.make_node(
                "Transpose", [mvu_out], [mt.output[0]], name=f"{name}_to_nchw", perm=TO_NCHW
            )
        )
        position = list(model.graph.node).index(conv)
        model.graph.node.remove(conv)
        model.graph.node.remove(mt)
        for offset, node in enumerate(nodes):
            model.graph.node.insert(position + offset, node)
