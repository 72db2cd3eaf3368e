"""StreamingConcat -> `qnnflow::streaming_concat` (hls/qnnflow/concat.hpp): per pixel, the
words of input 0, then input 1, ..., every element widened to the output type (a BIPOLAR
input's code b becomes the value 2b - 1, unless every input is BIPOLAR: then bits pass)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import element_signed, stream_spec
from qnnflow.ops.bipolar import is_bipolar
from qnnflow.ops.stream_order import tensor_channel_groups


def _cpp_bool(value: bool) -> str:
    return "true" if value else "false"


@renders("StreamingConcat")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call; each input is a `concat_input<bits, signed, bipolar, words/pixel>`."""
    op = getCustomOp(node)
    op.check_folding()
    h, w = op.get_nodeattr("ImgDim")
    simd = op.get_nodeattr("SIMD")
    odt = op.output_dtype()
    copy_bits = is_bipolar(odt)  # every input BIPOLAR: the one-bit codes pass unchanged
    inputs, specs = [], []
    for i, (tensor, channels) in enumerate(zip(node.input, op.channels(), strict=True)):
        groups = tensor_channel_groups(model, tensor)
        if groups != 1:
            raise op.fail(
                f"input {i} arrives in {groups} channel groups (behind a stream_ddr "
                "MatrixVectorUnit); a concat needs NHWC order: keep that layer's weights on chip"
            )
        idt = op.input_dtype(i)
        signed = element_signed(idt) and not copy_bits
        bipolar = is_bipolar(idt) and not copy_bits
        inputs.append(
            f"qnnflow::concat_input<{idt.bitwidth()}, {_cpp_bool(signed)}, "
            f"{_cpp_bool(bipolar)}, {channels // simd}>"
        )
        specs.append(stream_spec(idt, simd, h * w * channels))
    streams = ", ".join(f"in{i}" for i in range(len(specs)))
    template = ", ".join([str(h * w), str(simd), str(odt.bitwidth()), *inputs])
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=tuple(specs),
        output=stream_spec(odt, simd, h * w * sum(op.channels())),
        body=f"    qnnflow::streaming_concat<{template}>(out0, {streams});",
        includes=("qnnflow/concat.hpp",),
    )
