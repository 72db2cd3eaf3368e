"""GlobalAccPool -> `qnnflow::global_acc_pool` (hls/qnnflow/global_pool.hpp): per-channel
sums in the output's bits; a BIPOLAR input's code b is the value 2b - 1; a channel-group-major
input is summed group by group."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import check_group_words, stream_spec
from qnnflow.ops.stream_order import input_channel_groups


def pool_streams(model: ModelWrapper, node) -> tuple[StreamSpec, StreamSpec, int]:
    """in0, out0 and the input's channel groups of a GlobalAccPool node after the checks
    both backends need."""
    op = getCustomOp(node)
    op.check_folding()
    channels, pe = op.get_nodeattr("NumChannels"), op.get_nodeattr("PE")
    groups = input_channel_groups(model, node)
    check_group_words(node, channels, groups, PE=pe)
    return (
        stream_spec(op.input_dtype(), pe, op.pixels() * channels),
        stream_spec(op.output_dtype(), pe, channels),
        groups,
    )


@renders("GlobalAccPool")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call on in0 -> out0."""
    spec, out, groups = pool_streams(model, node)
    op = getCustomOp(node)
    args = [op.pixels(), op.get_nodeattr("NumChannels"), spec.per_word, groups, spec.bits]
    args += [str(spec.signed).lower(), str(spec.bipolar).lower(), out.bits]
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=(spec,),
        output=out,
        body=f"    qnnflow::global_acc_pool<{', '.join(map(str, args))}>(in0, out0);",
        includes=("qnnflow/global_pool.hpp",),
    )
