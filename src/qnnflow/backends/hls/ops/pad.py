"""ZeroPad -> `qnnflow::zero_pad` (hls/qnnflow/pad.hpp), padding each channel group of a
group-major input as its own sub-frame. A BIPOLAR map is refused: 0 is not a -1/+1 value
(and its one-bit code would read as -1)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import check_group_words, same_element_type, stream_spec
from qnnflow.ops.bipolar import is_bipolar
from qnnflow.ops.stream_order import input_channel_groups


def pad_streams(model: ModelWrapper, node) -> tuple[StreamSpec, StreamSpec, int]:
    """in0, out0 and the input's channel groups of a ZeroPad node after the checks both
    backends need."""
    op = getCustomOp(node)
    op.check_folding()
    dtype = same_element_type(node, op)
    if is_bipolar(dtype):
        raise op.fail(
            "cannot zero-pad a BIPOLAR map: 0 is not -1 or +1 (its one-bit code would read "
            "as -1); pad before the sign activation or keep the padding on the host"
        )
    h, w = op.get_nodeattr("ImgDim")
    top, left, bottom, right = op.get_nodeattr("Padding")
    channels, simd = op.get_nodeattr("NumChannels"), op.get_nodeattr("SIMD")
    groups = input_channel_groups(model, node)
    check_group_words(node, channels, groups, SIMD=simd)
    oh, ow = h + top + bottom, w + left + right
    return (
        stream_spec(dtype, simd, h * w * channels),
        stream_spec(dtype, simd, oh * ow * channels),
        groups,
    )


@renders("ZeroPad")
def render(model: ModelWrapper, node) -> LayerCode:
    """One call of the kernel with the op's geometry, SIMD, element bits and channel groups."""
    spec, out, groups = pad_streams(model, node)
    op = getCustomOp(node)
    h, w = op.get_nodeattr("ImgDim")
    args = [h, w, *op.get_nodeattr("Padding"), op.get_nodeattr("NumChannels"), spec.per_word]
    args += [spec.bits, groups]
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=(spec,),
        output=out,
        body=f"    qnnflow::zero_pad<{', '.join(map(str, args))}>(in0, out0);",
        includes=("qnnflow/pad.hpp",),
    )
