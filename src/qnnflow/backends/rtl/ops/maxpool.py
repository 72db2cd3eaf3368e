"""StreamingMaxPool -> `qnnflow_maxpool` (rtl/qnnflow/maxpool.sv): any kernel, stride and
(top, left, bottom, right) padding whose cells never win, signed or unsigned compares,
group-major inputs. BIPOLAR maps pool their one-bit codes as unsigned bits (max = OR)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.ops.maxpool import pool_streams
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import kernel_instance, sv_bit, sv_params, wrapper_module


@renders("StreamingMaxPool")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """The pool kernel on in0 -> out0; its padding cells hold the type's minimum."""
    spec, out, groups = pool_streams(model, node)
    op = getCustomOp(node)
    h, w = op.get_nodeattr("ImgDim")
    kernel, stride = op.get_nodeattr("Kernel"), op.get_nodeattr("Stride")
    top, left, bottom, right = op.get_nodeattr("Pads")
    params = {"H": h, "W": w, "K": kernel, "S": stride}
    params.update(TOP=top, LEFT=left, BOTTOM=bottom, RIGHT=right)
    params.update(C=op.get_nodeattr("NumChannels"), PE=spec.per_word, BITS=spec.bits)
    params.update(SIGNED=sv_bit(spec.signed), GROUPS=groups)
    name = rtl_identifier(node.name)
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=(spec,),
        outputs=(out,),
        wrapper=wrapper_module(
            name,
            f"StreamingMaxPool '{node.name}': {kernel}x{kernel} stride {stride}, pads "
            f"{top}/{left}/{bottom}/{right} on {h}x{w}, {groups} channel group(s).",
            [spec.width],
            [out.width],
            kernel_instance(
                "qnnflow_maxpool", sv_params(params), "u_pool", {"in0": "in0", "out0": "out0"}
            ),
        ),
        kernels=("maxpool.sv",),
    )
