"""StreamingConcat -> `qnnflow::streaming_concat` (hls/qnnflow/concat.hpp): per pixel, the
words of input 0, then input 1, ..., every element widened to the output type (a BIPOLAR
input's code b becomes the value 2b - 1, unless every input is BIPOLAR: then bits pass)."""

from __future__ import annotations

from dataclasses import dataclass

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import element_signed, stream_spec
from qnnflow.ops.bipolar import is_bipolar
from qnnflow.ops.stream_order import tensor_channel_groups


@dataclass(frozen=True)
class ConcatInput:
    """One input of a concat as both backends widen it: its stream, whether its codes are
    read as two's complement or as BIPOLAR -1/+1 (both False when every input is BIPOLAR:
    then the one-bit codes pass unchanged), and its words per pixel."""

    spec: StreamSpec
    signed: bool
    bipolar: bool
    folds: int


def concat_inputs(model: ModelWrapper, node) -> list[ConcatInput]:
    """The inputs of a concat node after the checks both backends need (NHWC order)."""
    op = getCustomOp(node)
    op.check_folding()
    h, w = op.get_nodeattr("ImgDim")
    simd = op.get_nodeattr("SIMD")
    copy_bits = is_bipolar(op.output_dtype())  # every input BIPOLAR: the codes pass
    inputs = []
    for i, (tensor, channels) in enumerate(zip(node.input, op.channels(), strict=True)):
        groups = tensor_channel_groups(model, tensor)
        if groups != 1:
            raise op.fail(
                f"input {i} arrives in {groups} channel groups (behind a stream_ddr "
                "MatrixVectorUnit); a concat needs NHWC order: keep that layer's weights on chip"
            )
        idt = op.input_dtype(i)
        if copy_bits and not is_bipolar(idt):
            raise op.fail(
                f"its output is BIPOLAR but input {i} is {idt.name}: only BIPOLAR inputs "
                "concatenate to BIPOLAR (use smallest_int_type of the inputs)"
            )
        inputs.append(
            ConcatInput(
                spec=stream_spec(idt, simd, h * w * channels),
                signed=element_signed(idt) and not copy_bits,
                bipolar=is_bipolar(idt) and not copy_bits,
                folds=channels // simd,
            )
        )
    return inputs


def _cpp_bool(value: bool) -> str:
    return "true" if value else "false"


@renders("StreamingConcat")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call; each input is a `concat_input<bits, signed, bipolar, words/pixel>`."""
    inputs = concat_inputs(model, node)
    op = getCustomOp(node)
    h, w = op.get_nodeattr("ImgDim")
    simd = op.get_nodeattr("SIMD")
    odt = op.output_dtype()
    params = [
        f"qnnflow::concat_input<{c.spec.bits}, {_cpp_bool(c.signed)}, "
        f"{_cpp_bool(c.bipolar)}, {c.folds}>"
        for c in inputs
    ]
    streams = ", ".join(f"in{i}" for i in range(len(inputs)))
    template = ", ".join([str(h * w), str(simd), str(odt.bitwidth()), *params])
    return LayerCode(
        name=c_identifier(node.name),
        op_type=node.op_type,
        inputs=tuple(c.spec for c in inputs),
        output=stream_spec(odt, simd, h * w * sum(op.channels())),
        body=f"    qnnflow::streaming_concat<{template}>(out0, {streams});",
        includes=("qnnflow/concat.hpp",),
    )
