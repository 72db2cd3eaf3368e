"""WidthConverter -> `qnnflow_width_converter` (rtl/qnnflow/width_converter.sv): words of
inElems elements regrouped into words of outElems, any pair dividing the channels."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.streams import passthrough_elements, stream_spec
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import kernel_instance, sv_params, wrapper_module


@renders("WidthConverter")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """The same streams as the HLS converter (R frames behind a replaying SlidingWindow)."""
    op = getCustomOp(node)
    in_elems, out_elems = op.get_nodeattr("inElems"), op.get_nodeattr("outElems")
    dtype, elements = passthrough_elements(model, node, op, inElems=in_elems, outElems=out_elems)
    inputs = stream_spec(dtype, in_elems, elements)
    output = stream_spec(dtype, out_elems, elements)
    name = rtl_identifier(node.name)
    params = sv_params({"IN_ELEMS": in_elems, "OUT_ELEMS": out_elems, "BITS": dtype.bitwidth()})
    wrapper = wrapper_module(
        name,
        f"WidthConverter '{node.name}', {in_elems} -> {out_elems} elements of {dtype.name}.",
        [inputs.width],
        [output.width],
        kernel_instance(
            "qnnflow_width_converter", params, "u_convert", {"in0": "in0", "out0": "out0"}
        ),
    )
    return RtlLayerCode(name, node.op_type, (inputs,), (output,), wrapper, ("width_converter.sv",))
