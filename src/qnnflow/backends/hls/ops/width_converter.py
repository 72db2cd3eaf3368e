"""WidthConverter -> `qnnflow::width_converter` (hls/qnnflow/width_converter.hpp): words of
inElems elements regrouped into words of outElems, any pair dividing the channels."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import passthrough_elements, stream_spec


@renders("WidthConverter")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call; on a group-major stream both word sizes must divide C/G, and behind
    a SlidingWindow that replays its frame R times the converter passes R frames."""
    op = getCustomOp(node)
    in_elems, out_elems = op.get_nodeattr("inElems"), op.get_nodeattr("outElems")
    dtype, elements = passthrough_elements(model, node, op, inElems=in_elems, outElems=out_elems)
    inputs = stream_spec(dtype, in_elems, elements)
    args = [in_elems, out_elems, dtype.bitwidth(), inputs.words]
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=(inputs,),
        output=stream_spec(dtype, out_elems, elements),
        body=f"    qnnflow::width_converter<{', '.join(map(str, args))}>(in0, out0);",
        includes=("qnnflow/width_converter.hpp",),
    )
