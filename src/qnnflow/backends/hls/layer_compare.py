"""Compare one layer's simulated stream, as it arrives in chunks, with the numpy output of the
same layer: only one copy of the expected stream is held (a SlidingWindow in front of a
stream_ddr MatrixVectorUnit sends its windows once per channel group), and the first
differing element is named by its position in the layer's normal (N, H, W, C) output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.layer_records import RecordHeader, RecordReader
from qnnflow.errors import QnnflowError
from qnnflow.ops.stream_order import normal_to_stream_once, output_frame_replays


@dataclass(frozen=True)
class Mismatch:
    layer: str
    op_type: str
    index: tuple[int, ...]  # position in the layer's normal output (N, H, W, C)
    expected: float
    actual: float
    count: int

    def __str__(self) -> str:
        return (
            f"{self.op_type} '{self.layer}': {self.count} mismatching elements, first at "
            f"{self.index} (N, ..., C): expected {self.expected:g}, C++ gave {self.actual:g}"
        )


def compare_layer(
    model: ModelWrapper, node, normal: np.ndarray, header: RecordHeader, reader: RecordReader
) -> Mismatch | None:
    """Read `node`'s record (one frame) from `reader` and compare it with `normal`, numpy's
    output of `node`; None when every element (of every replayed copy) is equal."""
    shape = model.get_tensor_shape(node.output[0])
    once = normal_to_stream_once(model, node, np.asarray(normal).reshape(shape))
    expected = once.size * output_frame_replays(model, node)
    if header.elements != expected:
        raise QnnflowError(
            f"'{node.name}': C++ wrote {header.elements} elements, expected {expected}"
        )
    count, first = 0, None  # first: (stream position, value)
    position = 0
    for chunk in reader.chunks(header):
        start = 0
        while start < chunk.size:  # pieces that do not cross a copy boundary
            offset = position % once.size
            length = min(chunk.size - start, once.size - offset)
            got = chunk[start : start + length]
            bad = np.flatnonzero(got != once[offset : offset + length])
            if bad.size:
                count += int(bad.size)
                if first is None:
                    first = (position + int(bad[0]), got[bad[0]].item())
            start += length
            position += length
    if first is None:
        return None
    stream_position, actual = first
    # which normal-order element each position of a copy carries
    where = normal_to_stream_once(model, node, np.arange(int(np.prod(shape))).reshape(shape))
    copy_position = stream_position % once.size
    index = np.unravel_index(int(where[copy_position]), shape)
    return Mismatch(
        layer=node.name,
        op_type=node.op_type,
        index=tuple(int(i) for i in index),
        expected=float(once[copy_position]),
        actual=float(actual),
        count=count,
    )
