"""StreamingMaxPool -> `qnnflow::streaming_maxpool` (hls/qnnflow/maxpool.hpp): any kernel,
stride and (top, left, bottom, right) padding, signed or unsigned, group-major inputs.
BIPOLAR maps pool their one-bit codes as unsigned bits (max of -1/+1 = OR of the bits;
a padding cell's 0 is -1, which never wins)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import check_group_words, same_element_type, stream_spec
from qnnflow.ops.stream_order import input_channel_groups


def pool_streams(model: ModelWrapper, node) -> tuple[StreamSpec, StreamSpec, int]:
    """in0, out0 and the input's channel groups of a StreamingMaxPool node after the checks
    both backends need."""
    op = getCustomOp(node)
    op.check_folding()
    dtype = same_element_type(node, op)
    h, w = op.get_nodeattr("ImgDim")
    kernel, stride = op.get_nodeattr("Kernel"), op.get_nodeattr("Stride")
    channels, pe = op.get_nodeattr("NumChannels"), op.get_nodeattr("PE")
    groups = input_channel_groups(model, node)
    check_group_words(node, channels, groups, PE=pe)
    oh, ow = op.normal_output_shape()[1:3]
    if stride < 1 or oh < 1 or ow < 1:
        raise op.fail(f"kernel {kernel} stride {stride} does not fit the padded {h}x{w} input")
    return (
        stream_spec(dtype, pe, h * w * channels),
        stream_spec(dtype, pe, oh * ow * channels),
        groups,
    )


@renders("StreamingMaxPool")
def render(model: ModelWrapper, node) -> LayerCode:
    """One call of the kernel; its padding cells hold the type's minimum, which never wins."""
    spec, out, groups = pool_streams(model, node)
    op = getCustomOp(node)
    h, w = op.get_nodeattr("ImgDim")
    args = [h, w, op.get_nodeattr("Kernel"), op.get_nodeattr("Stride"), *op.get_nodeattr("Pads")]
    args += [op.get_nodeattr("NumChannels"), spec.per_word, spec.bits]
    args += ["true" if spec.signed else "false", groups]
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=(spec,),
        output=out,
        body=f"    qnnflow::streaming_maxpool<{', '.join(map(str, args))}>(in0, out0);",
        includes=("qnnflow/maxpool.hpp",),
    )
