"""DuplicateStreams -> `qnnflow::duplicate_streams` (hls/qnnflow/duplicate_streams.hpp): every
word of the input written to each of the N outputs out0 .. out{N-1}."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import check_group_words, same_element_type, stream_spec
from qnnflow.ops.stream_order import input_channel_groups, input_frame_replays


def fork_stream(model: ModelWrapper, node) -> StreamSpec:
    """The one stream a fork copies to each output (both backends): a channel-group-major
    input is copied as it comes (each consumer sees the same order), one frame at a time."""
    op = getCustomOp(node)
    op.check_folding()
    dtype = same_element_type(node, op)
    shape = op.normal_input_shape()
    simd = op.get_nodeattr("SIMD")
    check_group_words(node, shape[-1], input_channel_groups(model, node), SIMD=simd)
    replays = input_frame_replays(model, node)
    if replays != 1:
        raise op.fail(f"its input repeats each frame {replays} times; a fork copies one frame")
    elements = 1
    for size in shape:
        elements *= size
    return stream_spec(dtype, simd, elements)


@renders("DuplicateStreams")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call with every output stream."""
    op = getCustomOp(node)
    spec = fork_stream(model, node)
    outs = ", ".join(f"out{i}" for i in range(op.num_outputs()))
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=(spec,),
        output=spec,
        extra_outputs=(spec,) * (op.num_outputs() - 1),
        body=f"    qnnflow::duplicate_streams<{spec.words}, {spec.width}>(in0, {outs});",
        includes=("qnnflow/duplicate_streams.hpp",),
    )
