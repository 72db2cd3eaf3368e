"""How a hardware node's input stream orders its elements, and the stream words of a tensor.

A MatrixVectorUnit with mem_mode stream_ddr emits its frame channel-group-major: for each of
its G = MH/PE channel groups, every pixel's PE channels. Every op between it and the next
SlidingWindow (thresholds, max-pools, pads, FIFOs, width converters) therefore receives G
consecutive sub-frames of C/G channels, and its kernel must be told G (template parameter
GROUPS). A SlidingWindow, or any MatrixVectorUnit that keeps its weights on chip, restores
the normal NHWC order, so the walk upstream stops there.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType

from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.errors import QnnflowError
from qnnflow.ops.graph_queries import (  # noqa: F401 - re-exported for the renderers
    PASS_THROUGH,
    input_channel_groups,
    input_frame_replays,
)


def to_group_major(normal: np.ndarray, groups: int) -> np.ndarray:
    """[N, ..., C] NHWC -> [N, elements] in group-major stream order (G sub-frames of C/G)."""
    frames, channels = normal.shape[0], normal.shape[-1]
    _check_groups(channels, groups)
    grouped = normal.reshape(frames, -1, groups, channels // groups).transpose(0, 2, 1, 3)
    return grouped.reshape(frames, -1)


def from_group_major(stream: np.ndarray, shape: tuple[int, ...], groups: int) -> np.ndarray:
    """Inverse of `to_group_major`: [N, elements] -> [N, *shape[1:]] NHWC."""
    frames, channels = stream.shape[0], shape[-1]
    _check_groups(channels, groups)
    grouped = stream.reshape(frames, groups, -1, channels // groups).transpose(0, 2, 1, 3)
    return grouped.reshape(frames, *shape[1:])


def check_group_words(node, channels: int, groups: int, **per_word: int) -> None:
    """Words of a group-major stream must not straddle two channel groups."""
    _check_groups(channels, groups)
    for name, count in per_word.items():
        if (channels // groups) % count:
            raise QnnflowError(
                f"{node.op_type} '{node.name}': {name}={count} must divide the "
                f"{channels // groups} channels of each of the {groups} channel groups its "
                "input arrives in (behind a stream_ddr MatrixVectorUnit)"
            )


def stream_spec(dtype: DataType, per_word: int, elements: int) -> StreamSpec:
    """The stream of `elements` integers of `dtype`, `per_word` to a word."""
    if not dtype.is_integer() or dtype == DataType["BIPOLAR"]:
        raise QnnflowError(
            f"{dtype.name} cannot travel on a hardware stream (integers in two's complement "
            "or unsigned only)"
        )
    if elements % per_word:
        raise QnnflowError(f"{per_word} elements per word do not divide {elements} elements")
    return StreamSpec(per_word, dtype.bitwidth(), dtype.signed(), elements // per_word)


def _check_groups(channels: int, groups: int) -> None:
    if groups < 1 or channels % groups:
        raise QnnflowError(f"{groups} channel groups do not divide {channels} channels")


def same_element_type(node, op) -> DataType:
    """The element type of an op whose kernel moves elements unchanged (input == output)."""
    idt, odt = op.input_dtype(), op.output_dtype()
    if idt.bitwidth() != odt.bitwidth() or idt.signed() != odt.signed():
        raise QnnflowError(
            f"{node.op_type} '{node.name}': input {idt.name} and output {odt.name} must have "
            "the same bits and signedness (the kernel moves elements unchanged)"
        )
    return idt
