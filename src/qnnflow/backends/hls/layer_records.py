"""The layer-stream records the network simulation writes while it runs (sim_io.hpp
write_record): one record per layer and frame, a 24-byte header then the elements in the
narrowest integer type that holds them. Read in bounded chunks, so a layer whose stream
carries hundreds of millions of elements (a SlidingWindow replayed for every channel group)
is compared without ever being held in memory."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from qnnflow.errors import QnnflowError

MAGIC = 0x534C4E51  # b"QNLS" little-endian, as sim_io.hpp RECORD_MAGIC
HEADER = struct.Struct("<IIIBBHQ")  # magic, layer, frame, item bytes, signed, 0, elements
CHUNK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class RecordHeader:
    layer: int
    frame: int
    dtype: np.dtype
    elements: int


def item_dtype(item_bytes: int, signed: bool) -> np.dtype:
    if item_bytes not in (1, 2, 4, 8):
        raise QnnflowError(f"layer stream record with {item_bytes}-byte items (1, 2, 4 or 8)")
    return np.dtype(f"<{'i' if signed else 'u'}{item_bytes}")


def pack_record(layer: int, frame: int, values: np.ndarray) -> bytes:
    """One record as the simulator writes it (`values` already of the item type); lets tests
    stand in for the simulator."""
    values = np.ascontiguousarray(values)
    dtype = values.dtype.newbyteorder("<")
    header = HEADER.pack(MAGIC, layer, frame, dtype.itemsize, dtype.kind == "i", 0, values.size)
    return header + values.astype(dtype, copy=False).tobytes()


class RecordReader:
    """Reads records one after another from a binary stream (a pipe or a file)."""

    def __init__(self, source: BinaryIO):
        self.source = source

    def _read_exactly(self, view: memoryview) -> int:
        done = 0
        while done < len(view):
            got = self.source.readinto(view[done:])
            if not got:
                break
            done += got
        return done

    def next_header(self) -> RecordHeader | None:
        """The next record's header, or None at the end of the stream."""
        raw = bytearray(HEADER.size)
        got = self._read_exactly(memoryview(raw))
        if got == 0:
            return None
        if got < HEADER.size:
            raise QnnflowError(f"layer stream cut off inside a record header ({got} bytes)")
        magic, layer, frame, item_bytes, signed, _, elements = HEADER.unpack(raw)
        if magic != MAGIC:
            raise QnnflowError(f"layer stream out of step: record magic {magic:#x}")
        return RecordHeader(layer, frame, item_dtype(item_bytes, bool(signed)), elements)

    def chunks(self, header: RecordHeader, size: int | None = None) -> Iterator[np.ndarray]:
        """The record's elements in order, at most `size` (CHUNK_ELEMENTS) at a time; each
        chunk's buffer is reused (copy a chunk to keep it)."""
        size = size or CHUNK_ELEMENTS
        buffer = np.empty(min(size, max(header.elements, 1)), dtype=header.dtype)
        left = header.elements
        while left:
            count = min(left, buffer.size)
            view = memoryview(buffer[:count]).cast("B")
            got = self._read_exactly(view)
            if got < view.nbytes:
                read = header.elements - left + got // header.dtype.itemsize
                raise QnnflowError(
                    f"layer stream of layer {header.layer} cut off after {read} of "
                    f"{header.elements} elements"
                )
            left -= count
            yield buffer[:count]

    def skip(self, header: RecordHeader) -> None:
        for _ in self.chunks(header):
            pass
