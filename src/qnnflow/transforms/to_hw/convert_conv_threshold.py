"""Conv(integer weights) -> MultiThreshold  ==>  ZeroPad -> SlidingWindow -> MatrixVectorUnit
(thresholds fused), in NHWC between Transposes. The conv must have no bias, group 1 and no
dilation; what the MatrixVectorUnit can be (integer weights and input, the thresholds) is
decided by mvu_params (bipolar activations and XNOR layers included). A conv that cannot
convert stays on the host; decline_reason says why (the to_hw report lists it)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.frontend.binparams.hidden_layers import conv_weight_matrix
from qnnflow.transforms.to_hw.conv_lowering import conv_geometry_reason, lower_conv
from qnnflow.transforms.to_hw.matches import convertible
from qnnflow.transforms.to_hw.mvu_params import (
    NotConvertible,
    fused_threshold_reason,
    mvu_params,
)


def _match(model: ModelWrapper, conv) -> tuple | str:
    """(MultiThreshold, MVU parameters) when `conv` converts, else why not."""
    if len(conv.input) != 2:
        return "has a bias input (streamlining folds biases into the thresholds)"
    reason = conv_geometry_reason(model, conv)
    if reason is not None:
        return reason
    weights = model.get_initializer(conv.input[1])
    idt = model.get_tensor_datatype(conv.input[0])
    consumers = model.find_consumers(conv.output[0])
    if len(consumers) != 1 or consumers[0].op_type != "MultiThreshold":
        readers = ", ".join(c.op_type for c in consumers) or "a graph output"
        return f"output is read by {readers}, not by exactly one MultiThreshold to fuse"
    mt = consumers[0]
    try:
        params = mvu_params(model, conv_weight_matrix(weights), idt, mt)
    except NotConvertible as why:
        return str(why)
    return mt, params


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
        matches = convertible(model, ("Conv",), _match)
        for conv, (mt, params) in matches:
            lower_conv(model, conv, params, mt.output[0], [conv, mt])
        return model, bool(matches)
