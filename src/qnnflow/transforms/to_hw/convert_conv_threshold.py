"""Conv(integer weights) -> MultiThreshold  ==>  ZeroPad -> SlidingWindow -> MatrixVectorUnit
(thresholds fused), in NHWC between Transposes. The conv must have no bias, group 1 and no
dilation; what the MatrixVectorUnit can be (integer weights and input, the thresholds) is
decided by mvu_params."""

from __future__ import annotations

import logging

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.util.basic import get_by_name

from qnnflow.frontend.binparams.hidden_layers import conv_weight_matrix
from qnnflow.ops import DOMAIN
from qnnflow.ops.bipolar import is_bipolar
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC, transpose
from qnnflow.transforms.to_hw.mvu_params import NotConvertible, make_mvu, mvu_params
from qnnflow.util.names import new_tensor_name

log = logging.getLogger(__name__)


def _attr(node, name: str, default):
    attr = get_by_name(node.attribute, name)
    return helper.get_attribute_value(attr) if attr is not None else default


def _convertible(model: ModelWrapper, conv) -> tuple | None:
    if conv.op_type != "Conv" or len(conv.input) != 2:
        return None
    weights = model.get_initializer(conv.input[1])
    idt = model.get_tensor_datatype(conv.input[0])
    consumers = model.find_consumers(conv.output[0])
    if weights is None or idt is None or len(consumers) != 1:
        return None
    mt = consumers[0]
    if mt.op_type != "MultiThreshold" or model.get_initializer(mt.input[1]) is None:
        return None
    try:
        if _attr(conv, "group", 1) != 1 or any(d != 1 for d in _attr(conv, "dilations", [1, 1])):
            raise NotConvertible("grouped or dilated")
        if is_bipolar(idt) and any(_attr(conv, "pads", [0, 0, 0, 0])):
            raise NotConvertible("zero padding of a BIPOLAR input (0 is not -1 or +1)")
        params = mvu_params(model, conv_weight_matrix(weights), idt, mt)
    except NotConvertible as why:
        log.info("Conv '%s' stays on the host: %s", conv.name, why)
        return None
    return weights.shape, idt, mt, params


class ConvertConvThresholdToHW(Transformation):
    ORDER = 30

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = [(n, m) for n in model.graph.node if (m := _convertible(model, n))]
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
