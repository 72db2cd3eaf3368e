"""ZeroPad -> `qnnflow_zero_pad` (rtl/qnnflow/pad.sv), padding each channel group of a
group-major input as its own sub-frame; BIPOLAR maps are refused as in the HLS backend."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.ops.pad import pad_streams
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import kernel_instance, sv_params, wrapper_module


@renders("ZeroPad")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """The pad kernel on in0 -> out0 with the op's geometry, SIMD, bits and channel groups."""
    spec, out, groups = pad_streams(model, node)
    op = getCustomOp(node)
    h, w = op.get_nodeattr("ImgDim")
    top, left, bottom, right = op.get_nodeattr("Padding")
    params = {"H": h, "W": w, "TOP": top, "LEFT": left, "BOTTOM": bottom, "RIGHT": right}
    params.update(C=op.get_nodeattr("NumChannels"), SIMD=spec.per_word, BITS=spec.bits)
    params["GROUPS"] = groups
    name = rtl_identifier(node.name)
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=(spec,),
        outputs=(out,),
        wrapper=wrapper_module(
            name,
            f"ZeroPad '{node.name}': pads {top}/{left}/{bottom}/{right} around {h}x{w}, "
            f"{groups} channel group(s).",
            [spec.width],
            [out.width],
            kernel_instance(
                "qnnflow_zero_pad", sv_params(params), "u_pad", {"in0": "in0", "out0": "out0"}
            ),
        ),
        kernels=("pad.sv",),
    )
