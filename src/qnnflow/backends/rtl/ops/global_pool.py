"""GlobalAccPool -> `qnnflow_global_pool` (rtl/qnnflow/global_pool.sv): per-channel sums in
the output's bits (a BIPOLAR code b is the value 2b - 1); a channel-group-major input is
summed group by group, which leaves the sums in plain channel order."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.ops.global_pool import pool_streams
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import kernel_instance, sv_bit, sv_params, wrapper_module


@renders("GlobalAccPool")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """The pool kernel on in0 -> out0, accumulating one channel group's words at a time."""
    spec, out, groups = pool_streams(model, node)
    op = getCustomOp(node)
    params = {
        "PE": spec.per_word,
        "BITS": spec.bits,
        "SIGNED": sv_bit(spec.signed),
        "BIPOLAR": sv_bit(spec.bipolar),
        "OBITS": out.bits,
        "PIXELS": op.pixels(),
        "FOLDS": out.words // groups,
    }
    name = rtl_identifier(node.name)
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=(spec,),
        outputs=(out,),
        wrapper=wrapper_module(
            name,
            f"GlobalAccPool '{node.name}': {op.pixels()} pixels, {groups} channel group(s).",
            [spec.width],
            [out.width],
            kernel_instance(
                "qnnflow_global_pool", sv_params(params), "u_pool", {"in": "in0", "out": "out0"}
            ),
        ),
        kernels=("global_pool.sv", "widen.sv"),
    )
