"""StreamingAdd -> `qnnflow_add` (rtl/qnnflow/add.sv): lane-wise a + b in the output's bits
(a BIPOLAR code b is the value 2b - 1), both inputs and the output in the same order."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.ops.add import add_streams
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import kernel_instance, sv_bit, sv_params, wrapper_module


@renders("StreamingAdd")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """The add kernel on in0, in1 -> out0."""
    a, b, out = add_streams(model, node)
    params = {"PE": out.per_word}
    for i, spec in enumerate((a, b)):
        params[f"BITS{i}"] = spec.bits
        params[f"SIGNED{i}"] = sv_bit(spec.signed)
        params[f"BIPOLAR{i}"] = sv_bit(spec.bipolar)
    params["OBITS"] = out.bits
    ports = {"in0": "in0", "in1": "in1", "out": "out0"}
    name = rtl_identifier(node.name)
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=(a, b),
        outputs=(out,),
        wrapper=wrapper_module(
            name,
            f"StreamingAdd '{node.name}': {out.words} words of {out.per_word} lanes per frame.",
            [a.width, b.width],
            [out.width],
            kernel_instance("qnnflow_add", sv_params(params), "u_add", ports),
        ),
        kernels=("add.sv", "widen.sv"),
    )
