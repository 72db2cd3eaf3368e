"""GlobalAccPool -> `qnnflow::global_acc_pool` (hls/qnnflow/global_pool.hpp): per-channel
sums in the output's bits; a BIPOLAR input's code b is the value 2b - 1; a channel-group-major
input is summed group by group."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import check_group_words, element_signed, stream_spec
from qnnflow.ops.bipolar import is_bipolar
from qnnflow.ops.stream_order import input_channel_groups


@renders("GlobalAccPool")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call on in0 -> out0."""
    op = getCustomOp(node)
    op.check_folding()
    idt, odt = op.input_dtype(), op.output_dtype()
    channels, pe = op.get_nodeattr("NumChannels"), op.get_nodeattr("PE")
    groups = input_channel_groups(model, node)
    check_group_words(node, channels, groups, PE=pe)
    pixels = op.pixels()
    args = [pixels, channels, pe, groups, idt.bitwidth()]
    args += [str(element_signed(idt)).lower(), str(is_bipolar(idt)).lower(), odt.bitwidth()]
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=(stream_spec(idt, pe, pixels * channels),),
        output=stream_spec(odt, pe, channels),
        body=f"    qnnflow::global_acc_pool<{', '.join(map(str, args))}>(in0, out0);",
        includes=("qnnflow/global_pool.hpp",),
    )
