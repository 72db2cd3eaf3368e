"""Upsample -> `qnnflow_upsample` (rtl/qnnflow/upsample.sv): nearest-neighbour upscaling by
(fh, fw) through a one-row buffer, codes copied unchanged, each channel group of a
group-major input as its own sub-frame (the kernel only counts words, pixels and copies)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.ops.upsample import upsample_streams
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import kernel_instance, sv_bit, sv_params, wrapper_module
from qnnflow.ops.upsample import ROW_BUFFER_LUTRAM_MAX_WORDS


@renders("Upsample")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """The upsample kernel on in0 -> out0; the row buffer is block RAM when deeper than
    the op's LUT RAM limit (as its resource estimate assumes)."""
    spec, out, groups = upsample_streams(model, node)
    op = getCustomOp(node)
    _, w = op.get_nodeattr("ImgDim")
    fh, fw = op.get_nodeattr("Factor")
    folds = op.get_nodeattr("NumChannels") // groups // spec.per_word
    params = {
        "WIDTH": spec.width,
        "W": w,
        "FH": fh,
        "FW": fw,
        "FOLDS": folds,
        "RAM_BLOCK": sv_bit(w * folds > ROW_BUFFER_LUTRAM_MAX_WORDS),
    }
    name = rtl_identifier(node.name)
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=(spec,),
        outputs=(out,),
        wrapper=wrapper_module(
            name,
            f"Upsample '{node.name}': x{fh} x{fw}, {groups} channel group(s) of {folds} "
            "words per pixel.",
            [spec.width],
            [out.width],
            kernel_instance(
                "qnnflow_upsample", sv_params(params), "u_upsample", {"in": "in0", "out": "out0"}
            ),
        ),
        kernels=("upsample.sv",),
    )
