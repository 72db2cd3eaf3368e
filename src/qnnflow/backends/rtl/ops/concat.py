"""StreamingConcat -> `qnnflow_concat` (rtl/qnnflow/concat.sv): per pixel, the words of
input 0, then input 1, ...; the wrapper widens each input to the output type first (a
`qnnflow_widen` per input: BIPOLAR code b -> 2b - 1, unless every input is BIPOLAR)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.ops.concat import concat_inputs
from qnnflow.backends.hls.streams import stream_spec
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import sv_bit, sv_params, wrapper_module


@renders("StreamingConcat")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """One widener per input onto a packed bus, then the concat kernel."""
    inputs = concat_inputs(model, node)
    op = getCustomOp(node)
    h, w = op.get_nodeattr("ImgDim")
    out = stream_spec(op.output_dtype(), op.get_nodeattr("SIMD"), h * w * sum(op.channels()))
    n, width = len(inputs), out.width
    body = [
        f"  logic [{n * width - 1}:0] wide;",
        f"  logic [{n - 1}:0] valid, ready;",
    ]
    for i, c in enumerate(inputs):
        params = {
            "LANES": out.per_word,
            "BITS": c.spec.bits,
            "SIGNED": sv_bit(c.signed),
            "BIPOLAR": sv_bit(c.bipolar),
            "OBITS": out.bits,
        }
        body += [
            f"  qnnflow_widen {sv_params(params)} u_widen{i} (",
            f"      .in_word(in{i}_tdata),",
            f"      .out_word(wide[{i * width + width - 1}:{i * width}])",
            "  );",
            f"  assign valid[{i}] = in{i}_tvalid;",
            f"  assign in{i}_tready = ready[{i}];",
        ]
    folds = ", ".join(f"32'd{c.folds}" for c in reversed(inputs))
    params = sv_params({"N": n, "WIDTH": width, "FOLDS": f"{{{folds}}}"})
    body += [
        f"  qnnflow_concat {params} u_concat (",
        "      .ap_clk(ap_clk),",
        "      .ap_rst_n(ap_rst_n),",
        "      .in_tdata(wide),",
        "      .in_tvalid(valid),",
        "      .in_tready(ready),",
        "      .out_tdata(out0_tdata),",
        "      .out_tvalid(out0_tvalid),",
        "      .out_tready(out0_tready)",
        "  );",
    ]
    name = rtl_identifier(node.name)
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=tuple(c.spec for c in inputs),
        outputs=(out,),
        wrapper=wrapper_module(
            name,
            f"StreamingConcat '{node.name}': {h}x{w} pixels of "
            f"{' + '.join(str(c.folds) for c in inputs)} words.",
            [c.spec.width for c in inputs],
            [width],
            "\n".join(body),
        ),
        kernels=("concat.sv", "widen.sv"),
    )
