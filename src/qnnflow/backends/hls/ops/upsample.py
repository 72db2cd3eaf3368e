"""Upsample -> `qnnflow::upsample_nearest` (hls/qnnflow/upsample.hpp): nearest-neighbour
upscaling by (fh, fw) through a one-row buffer, signed, unsigned or BIPOLAR codes (copied
unchanged), each channel group of a group-major input as its own sub-frame."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import check_group_words, same_element_type, stream_spec
from qnnflow.ops.stream_order import input_channel_groups


def upsample_streams(model: ModelWrapper, node) -> tuple[StreamSpec, StreamSpec, int]:
    """in0, out0 and the input's channel groups of an Upsample node after the checks both
    backends need."""
    op = getCustomOp(node)
    op.check_folding()
    dtype = same_element_type(node, op)
    h, w = op.get_nodeattr("ImgDim")
    _, oh, ow, channels = op.normal_output_shape()
    simd = op.get_nodeattr("SIMD")
    groups = input_channel_groups(model, node)
    check_group_words(node, channels, groups, SIMD=simd)
    return (
        stream_spec(dtype, simd, h * w * channels),
        stream_spec(dtype, simd, oh * ow * channels),
        groups,
    )


@renders("Upsample")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call with the op's geometry, SIMD, element bits and channel groups."""
    spec, out, groups = upsample_streams(model, node)
    op = getCustomOp(node)
    h, w = op.get_nodeattr("ImgDim")
    fh, fw = op.get_nodeattr("Factor")
    channels = op.get_nodeattr("NumChannels")
    args = [h, w, fh, fw, channels, spec.per_word, spec.bits, groups]
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=(spec,),
        output=out,
        body=f"    qnnflow::upsample_nearest<{', '.join(map(str, args))}>(in0, out0);",
        includes=("qnnflow/upsample.hpp",),
    )
