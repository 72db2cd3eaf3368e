"""SlidingWindow -> `qnnflow_sliding_window` (rtl/qnnflow/sliding_window.sv, line buffer) or,
with frameBuffer=1, `qnnflow_sliding_window_frame` (sliding_window_frame.sv: the whole frame
stored from any channel-group order in words of inputSIMD elements, replayed frameReplays
times): the HLS kernels' schedule and word order, cycle for cycle."""

from __future__ import annotations

from math import gcd

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.ops.sliding_window import window_streams
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import kernel_instance, sv_params, wrapper_module
from qnnflow.ops.sliding_window import BUFFER_LUTRAM_MAX_WORDS


@renders("SlidingWindow")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """One window kernel on in0 -> out0; its buffer is block RAM when deeper than the op's
    LUT RAM limit (as its resource estimate assumes)."""
    spec, out, groups = window_streams(model, node)
    op = getCustomOp(node)
    h, w = op.get_nodeattr("IFMDim")
    kh, kw = op.get_nodeattr("ConvKernelDim")
    sh, sw = op.get_nodeattr("Stride")
    params: dict[str, int | str] = {"H": h, "W": w, "KH": kh, "KW": kw, "SH": sh, "SW": sw}
    params.update(C=op.get_nodeattr("IFMChannels"), SIMD=out.per_word)
    replays = op.get_nodeattr("frameReplays")
    if op.get_nodeattr("frameBuffer"):
        module, kernel = "qnnflow_sliding_window_frame", "sliding_window_frame.sv"
        params.update(IN_PER_WORD=spec.per_word, BITS=spec.bits, GROUPS=groups)
        params.update(REPLAYS=replays, UNIT=gcd(spec.per_word, out.per_word))
        what = f"frame buffer, {groups} input channel group(s), {replays} replay(s)"
    else:
        module, kernel = "qnnflow_sliding_window", "sliding_window.sv"
        params["BITS"] = spec.bits
        what = f"line buffer of {kh + sh} rows"
    block = op.buffer_words() > BUFFER_LUTRAM_MAX_WORDS
    params["RAM_STYLE"] = '"block"' if block else '"distributed"'
    name = rtl_identifier(node.name)
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=(spec,),
        outputs=(out,),
        wrapper=wrapper_module(
            name,
            f"SlidingWindow '{node.name}': {kh}x{kw} stride {sh}x{sw} on {h}x{w}, {what}.",
            [spec.width],
            [out.width],
            kernel_instance(module, sv_params(params), "u_window", {"in0": "in0", "out0": "out0"}),
        ),
        kernels=("window_ram.sv", kernel),
    )
