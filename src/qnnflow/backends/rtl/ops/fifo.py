"""StreamingFIFO -> `qnnflow_fifo` (rtl/qnnflow/fifo.sv): LUT memory up to 32 words, block
RAM beyond, first word fall-through, one word per cycle."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.streams import passthrough_elements, stream_spec
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import kernel_instance, sv_params, wrapper_module


@renders("StreamingFIFO")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """The same stream as the HLS FIFO (R frames behind a replaying SlidingWindow)."""
    op = getCustomOp(node)
    per_word = op.get_nodeattr("elemsPerWord")
    dtype, elements = passthrough_elements(model, node, op, elemsPerWord=per_word)
    depth = op.get_nodeattr("depth")
    if depth < 1:
        raise op.fail(f"depth={depth} must be at least 1")
    spec = stream_spec(dtype, per_word, elements)
    name = rtl_identifier(node.name)
    memory = "LUT" if depth <= 32 else "block RAM"
    params = sv_params({"WIDTH": spec.width, "DEPTH": depth})
    wrapper = wrapper_module(
        name,
        f"StreamingFIFO '{node.name}', {depth} words of {spec.width} bits in {memory}.",
        [spec.width],
        [spec.width],
        kernel_instance("qnnflow_fifo", params, "u_fifo", {"in0": "in0", "out0": "out0"}),
    )
    return RtlLayerCode(name, node.op_type, (spec,), (spec,), wrapper, ("fifo.sv",))
