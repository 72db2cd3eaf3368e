"""The HLS view of a hardware stream: its words (`stream_spec`), the element type of ops that
move elements unchanged, and the check that no word of a channel-group-major stream
straddles two groups (which streams are group-major: qnnflow.ops.stream_order).

Elements are integers in two's complement or unsigned; a BIPOLAR element (-1/+1) is one
unsigned bit, +1 -> 1 and -1 -> 0 (qnnflow.packing), so the kernels see an order-preserving
0/1 code: a max-pool takes the max of the bits (their OR), a threshold compares the bit."""

from __future__ import annotations

from qonnx.core.datatype import DataType

from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.errors import QnnflowError
from qnnflow.ops.bipolar import is_bipolar


def check_group_words(node, channels: int, groups: int, **per_word: int) -> None:
    """Words of a group-major stream must not straddle two channel groups."""
    if groups < 1 or channels % groups:
        raise QnnflowError(f"{groups} channel groups do not divide {channels} channels")
    for name, count in per_word.items():
        if (channels // groups) % count:
            raise QnnflowError(
                f"{node.op_type} '{node.name}': {name}={count} must divide the "
                f"{channels // groups} channels of each of the {groups} channel groups its "
                "input arrives in (behind a stream_ddr MatrixVectorUnit)"
            )


def element_signed(dtype: DataType) -> bool:
    """Whether the kernels read an element of `dtype` as two's complement (a BIPOLAR
    element is an unsigned bit)."""
    return dtype.signed() and not is_bipolar(dtype)


def stream_spec(dtype: DataType, per_word: int, elements: int) -> StreamSpec:
    """The stream of `elements` integers of `dtype`, `per_word` to a word."""
    if not dtype.is_integer():
        raise QnnflowError(
            f"{dtype.name} cannot travel on a hardware stream (integers in two's complement, "
            "unsigned or BIPOLAR only)"
        )
    if elements % per_word:
        raise QnnflowError(f"{per_word} elements per word do not divide {elements} elements")
    return StreamSpec(
        per_word,
        dtype.bitwidth(),
        element_signed(dtype),
        elements // per_word,
        bipolar=is_bipolar(dtype),
    )


def same_element_type(node, op) -> DataType:
    """The element type of an op whose kernel moves elements unchanged (input == output)."""
    idt, odt = op.input_dtype(), op.output_dtype()
    if is_bipolar(idt) != is_bipolar(odt):
        raise QnnflowError(
            f"{node.op_type} '{node.name}': input {idt.name} and output {odt.name} must both "
            "be BIPOLAR or neither (the kernel moves elements unchanged)"
        )
    if idt.bitwidth() != odt.bitwidth() or idt.signed() != odt.signed():
        raise QnnflowError(
            f"{node.op_type} '{node.name}': input {idt.name} and output {odt.name} must have "
            "the same bits and signedness (the kernel moves elements unchanged)"
        )
    return idt


def passthrough_elements(model, node, op, **per_word: int) -> tuple[DataType, int]:
    """The element type and elements per frame of a FIFO or width converter (checked
    folding, word sizes that fit the channel groups); behind a SlidingWindow that replays
    its frame R times the op passes R frames. Shared by the HLS and RTL renderers."""
    from qnnflow.ops.stream_order import input_channel_groups, input_frame_replays

    op.check_folding()
    dtype = same_element_type(node, op)
    shape = op.normal_input_shape()
    elements = input_frame_replays(model, node)
    for size in shape:
        elements *= size
    check_group_words(node, shape[-1], input_channel_groups(model, node), **per_word)
    return dtype, elements
