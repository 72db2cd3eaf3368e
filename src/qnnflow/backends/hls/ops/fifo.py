"""StreamingFIFO -> a DATAFLOW region of two `qnnflow::stream_copy` processes joined by a
stream of the FIFO's depth (hls/qnnflow/fifo.hpp)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import check_group_words, same_element_type, stream_spec
from qnnflow.ops.stream_order import input_channel_groups, input_frame_replays


@renders("StreamingFIFO")
def render(model: ModelWrapper, node) -> LayerCode:
    """The depth goes into a STREAM pragma, which needs a literal, hence a rendered body;
    behind a SlidingWindow that replays its frame R times the FIFO passes R frames."""
    op = getCustomOp(node)
    op.check_folding()
    dtype = same_element_type(node, op)
    depth = op.get_nodeattr("depth")
    if depth < 1:
        raise op.fail(f"depth={depth} must be at least 1")
    shape = op.normal_input_shape()
    elements = input_frame_replays(model, node)  # a replaying SlidingWindow upstream
    for size in shape:
        elements *= size
    per_word = op.get_nodeattr("elemsPerWord")
    check_group_words(
        node, shape[-1], groups=input_channel_groups(model, node), elemsPerWord=per_word
    )
    spec = stream_spec(dtype, per_word, elements)
    body = "\n".join(
        [
            "#pragma HLS DATAFLOW",
            f'    hls::stream<{spec.ctype}> buffer("buffer");',
            f"#pragma HLS STREAM variable=buffer depth={depth}",
            f"    qnnflow::stream_copy<{spec.words}, true>(in0, buffer);",
            f"    qnnflow::stream_copy<{spec.words}, false>(buffer, out0);",
        ]
    )
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=(spec,),
        output=spec,
        body=body,
        includes=("qnnflow/fifo.hpp",),
    )
