"""DuplicateStreams -> `qnnflow_duplicate_streams` (rtl/qnnflow/duplicate_streams.sv): every
input word to each of out0 .. out{N-1}; one valid bit per output, so a slow reader never
loses a word, and the next word enters when every output has taken the current one."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.ops.duplicate_streams import fork_stream
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import sv_params, wrapper_module


@renders("DuplicateStreams")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """The fork kernel with its per-output valid and ready bits fanned out to out<i>."""
    spec = fork_stream(model, node)
    n = getCustomOp(node).num_outputs()
    params = sv_params({"N": n, "WIDTH": spec.width})
    readies = ", ".join(f"out{i}_tready" for i in reversed(range(n)))
    body = [
        f"  logic [{spec.width - 1}:0] data;",
        f"  logic [{n - 1}:0] valid;",
        f"  qnnflow_duplicate_streams {params} u_fork (",
        "      .ap_clk(ap_clk),",
        "      .ap_rst_n(ap_rst_n),",
        "      .in_tdata(in0_tdata),",
        "      .in_tvalid(in0_tvalid),",
        "      .in_tready(in0_tready),",
        "      .out_tdata(data),",
        "      .out_tvalid(valid),",
        f"      .out_tready({{{readies}}})",
        "  );",
    ]
    for i in range(n):
        body += [f"  assign out{i}_tdata = data;", f"  assign out{i}_tvalid = valid[{i}];"]
    name = rtl_identifier(node.name)
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=(spec,),
        outputs=(spec,) * n,
        wrapper=wrapper_module(
            name,
            f"DuplicateStreams '{node.name}': {spec.words} words of {spec.width} bits per "
            f"frame to {n} outputs.",
            [spec.width],
            [spec.width] * n,
            "\n".join(body),
        ),
        kernels=("duplicate_streams.sv",),
    )
