"""Conv(integer weights, integer input [, bias]) read by no MultiThreshold  ==>
ZeroPad -> SlidingWindow -> MatrixVectorUnit(numThresholds=0) [-> host Add(bias)], in NHWC
between Transposes: the unit emits the raw integer accumulator x.W, typed by the narrowest
integer datatype that holds every accumulator its input type allows. What follows (the
dequantizing Mul by weight scale x input scale, a bias Add) stays on the host. A detector's
linear heads (the last 1x1 convs) convert this way, one per head."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.frontend.binparams.hidden_layers import conv_weight_matrix
from qnnflow.transforms.to_hw.conv_lowering import bias_vector, conv_geometry_reason, lower_conv
from qnnflow.transforms.to_hw.matches import convertible
from qnnflow.transforms.to_hw.mvu_params import MVUParams, NotConvertible, mvu_params
from qnnflow.util.names import new_tensor_name


def _match(model: ModelWrapper, conv) -> MVUParams | str:
    """The accumulator unit's parameters when `conv` converts, else why not."""
    if len(conv.input) > 2 and conv.input[2] and bias_vector(model, conv) is None:
        return f"bias '{conv.input[2]}' is not a constant initializer"
    reason = conv_geometry_reason(model, conv)
    if reason is not None:
        return reason
    thresholds = [c for c in model.find_consumers(conv.output[0]) if c.op_type == "MultiThreshold"]
    if thresholds:
        return (
            f"output is read by MultiThreshold '{thresholds[0].name}' (a thresholded conv, "
            "which ConvertConvThresholdToHW fuses, not a linear one)"
        )
    weights = model.get_initializer(conv.input[1])
    idt = model.get_tensor_datatype(conv.input[0])
    try:
        return mvu_params(model, conv_weight_matrix(weights), idt, None)
    except NotConvertible as why:
        return str(why)


class ConvertConvLinearToHW(Transformation):
    ORDER = 31  # after the thresholded convs (disjoint matches), before the pad conversion
    OP_TYPES = ("Conv",)

    @staticmethod
    def decline_reason(model: ModelWrapper, node) -> str | None:
        match = _match(model, node)
        return match if isinstance(match, str) else None

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = convertible(model, ("Conv",), _match)
        for conv, params in matches:
            bias = bias_vector(model, conv)
            if bias is None:
                lower_conv(model, conv, params, conv.output[0], [conv])
                continue
            name = conv.name or conv.output[0]
            acc = new_tensor_name(model, f"{name}_acc")
            bias_name = new_tensor_name(model, f"{name}_bias_nchw")
            model.set_initializer(bias_name, bias)
            add = helper.make_node(
                "Add", [acc, bias_name], [conv.output[0]], name=f"{name}_bias_add"
            )
            lower_conv(model, conv, params, acc, [conv])
            last = next(i for i, n in enumerate(model.graph.node) if acc in n.output)
            model.graph.node.insert(last + 1, add)
        return model, bool(matches)
