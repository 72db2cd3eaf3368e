"""StreamingFIFO -> a DATAFLOW region of two `qnnflow::stream_copy` processes joined by a
stream of the FIFO's depth (hls/qnnflow/fifo.hpp)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import passthrough_elements, stream_spec


@renders("StreamingFIFO")
def render(model: ModelWrapper, node) -> LayerCode:
    """The depth goes into a STREAM pragma, which needs a literal, hence a rendered body;
    behind a SlidingWindow that replays its frame R times the FIFO passes R frames."""
    op = getCustomOp(node)
    per_word = op.get_nodeattr("elemsPerWord")
    dtype, elements = passthrough_elements(model, node, op, elemsPerWord=per_word)
    depth = op.get_nodeattr("depth")
    if depth < 1:
        raise op.fail(f"depth={depth} must be at least 1")
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
