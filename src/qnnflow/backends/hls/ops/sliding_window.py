"""SlidingWindow -> `qnnflow::sliding_window` (line buffer) or, with frameBuffer=1,
`qnnflow::sliding_window_frame` (whole frame, stored from any channel-group order in words
of inputSIMD elements and replayed frameReplays times) in hls/qnnflow/sliding_window.hpp."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import check_group_words, same_element_type, stream_spec
from qnnflow.ops.stream_order import input_channel_groups


def window_streams(model: ModelWrapper, node) -> tuple[StreamSpec, StreamSpec, int]:
    """in0 (words of inputSIMD), out0 (frameReplays copies of the windows in words of SIMD)
    and the input's channel groups of a SlidingWindow node after the checks both backends
    need."""
    op = getCustomOp(node)
    op.check_folding()
    dtype = same_element_type(node, op)
    h, w = op.get_nodeattr("IFMDim")
    sh, sw = op.get_nodeattr("Stride")
    channels, simd = op.get_nodeattr("IFMChannels"), op.get_nodeattr("SIMD")
    if min(sh, sw) < 1:
        raise op.fail(f"stride {sh}x{sw} must be positive")
    frame_buffer, replays = op.get_nodeattr("frameBuffer"), op.get_nodeattr("frameReplays")
    if replays < 1:
        raise op.fail(f"frameReplays={replays} must be at least 1")
    in_simd = op.input_simd()
    groups = input_channel_groups(model, node)
    if in_simd == simd:
        check_group_words(node, channels, groups, SIMD=simd)
    else:
        check_group_words(node, channels, groups, inputSIMD=in_simd)
    if groups > 1 and not frame_buffer:
        raise op.fail(
            f"its input arrives in {groups} channel groups (behind a stream_ddr "
            "MatrixVectorUnit), which only the frame buffer can reorder: set frameBuffer=1"
        )
    windows = op.normal_output_shape()
    out_elements = replays * windows[1] * windows[2] * windows[3]
    return (
        stream_spec(dtype, in_simd, h * w * channels),
        stream_spec(dtype, simd, out_elements),
        groups,
    )


@renders("SlidingWindow")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call; the output stream carries frameReplays copies of the windows."""
    spec, out, groups = window_streams(model, node)
    op = getCustomOp(node)
    h, w = op.get_nodeattr("IFMDim")
    kh, kw = op.get_nodeattr("ConvKernelDim")
    sh, sw = op.get_nodeattr("Stride")
    channels, simd = op.get_nodeattr("IFMChannels"), out.per_word
    if op.get_nodeattr("frameBuffer"):
        call = "sliding_window_frame"
        geometry = [h, w, kh, kw, sh, sw, channels, simd, spec.per_word, spec.bits]
        geometry += [groups, op.get_nodeattr("frameReplays")]
    else:
        call = "sliding_window"
        geometry = [h, w, kh, kw, sh, sw, channels, simd, spec.bits]
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=(spec,),
        output=out,
        body=f"    qnnflow::{call}<{', '.join(map(str, geometry))}>(in0, out0);",
        includes=("qnnflow/sliding_window.hpp",),
    )
