"""StreamingAdd -> `qnnflow::streaming_add` (hls/qnnflow/add.hpp): lane-wise a + b in the
output's bits; a BIPOLAR input's code b is the value 2b - 1. Both inputs must arrive in the
same channel-group order, which the output keeps."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import check_group_words, stream_spec
from qnnflow.ops.stream_order import tensor_channel_groups


def add_streams(model: ModelWrapper, node) -> tuple[StreamSpec, StreamSpec, StreamSpec]:
    """in0, in1 and out0 of an add node after the checks both backends need."""
    op = getCustomOp(node)
    op.check_folding()
    channels, pe = op.get_nodeattr("NumChannels"), op.get_nodeattr("PE")
    groups = [tensor_channel_groups(model, t) for t in node.input]
    if groups[0] != groups[1]:
        raise op.fail(
            f"its inputs arrive in different channel-group orders ({groups[0]} and "
            f"{groups[1]} groups, behind a stream_ddr MatrixVectorUnit); both must match"
        )
    check_group_words(node, channels, groups[0], PE=pe)
    elements = int(np.prod(op.normal_input_shape()))
    a, b = (stream_spec(op.input_dtype(i), pe, elements) for i in range(2))
    return a, b, stream_spec(op.output_dtype(), pe, elements)


@renders("StreamingAdd")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call on in0, in1 -> out0."""
    op = getCustomOp(node)
    *specs, out = add_streams(model, node)
    pe = op.get_nodeattr("PE")
    args: list = [specs[0].words, pe]
    for spec in specs:
        args += [spec.bits, str(spec.signed).lower(), str(spec.bipolar).lower()]
    args.append(out.bits)
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=tuple(specs),
        output=out,
        body=f"    qnnflow::streaming_add<{', '.join(map(str, args))}>(in0, in1, out0);",
        includes=("qnnflow/add.hpp",),
    )
