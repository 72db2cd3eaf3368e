"""The accelerator's input and output streams as the host sees them through the AXI DMA.

A stream word holds `per_word` elements of `bits` bits (qnnflow.packing: element 0 in the
lowest bits); Vitis HLS pads an AXI-Stream word to whole bytes and the DMA's byte-lane width
converters keep that byte order, so one frame in DDR is `words` words of
`word_bytes = ceil(per_word*bits/8)` bytes each, back to back. A BIPOLAR stream's elements
are -1/+1 on the host and one bit each on the stream (+1 -> 1, -1 -> 0: qnnflow.packing).
Elements follow the NHWC order of the tensor, except that an output of `channel_groups`
G > 1 (behind a layer that streams its weights from DDR) is channel-group-major: all pixels
of channels [0, C/G), then all pixels of the next C/G channels, and so on. Numpy only:
this runs on the board.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.packing import from_group_major, pack, packed_bytes, to_group_major, unpack


@dataclass(frozen=True)
class StreamFormat:
    """One direction of the accelerator: the normal tensor shape and its stream words."""

    tensor: str
    shape: tuple[int, ...]  # normal (NHWC) shape of one frame, batch axis 1
    dtype: str  # qonnx DataType name, e.g. UINT3
    per_word: int
    bits: int
    signed: bool
    words: int  # per frame
    channel_groups: int = 1

    def __post_init__(self) -> None:
        if min(self.per_word, self.bits, self.words, self.channel_groups) < 1:
            raise QnnflowError(f"stream '{self.tensor}': sizes must be positive: {self}")
        if self.elements != self.per_word * self.words:
            raise QnnflowError(
                f"stream '{self.tensor}': {self.words} words x {self.per_word} elements "
                f"!= {self.elements} elements of shape {list(self.shape)}"
            )
        if self.shape[-1] % self.channel_groups:
            raise QnnflowError(
                f"stream '{self.tensor}': {self.channel_groups} channel groups do not "
                f"divide {self.shape[-1]} channels"
            )

    @property
    def elements(self) -> int:
        return int(np.prod(self.shape))

    @property
    def word_bytes(self) -> int:
        """Bytes of one AXI-Stream word after Vitis HLS pads it to whole bytes."""
        return packed_bytes(self.per_word, self.bits, 8)

    @property
    def frame_bytes(self) -> int:
        return self.words * self.word_bytes

    @property
    def bipolar(self) -> bool:
        return self.dtype == "BIPOLAR"

    @property
    def value_range(self) -> tuple[int, int]:
        if self.bipolar:
            return -1, 1
        if self.signed:
            return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return 0, (1 << self.bits) - 1

    def to_json(self) -> dict:
        data = asdict(self)
        data["shape"] = list(self.shape)
        data.update(word_bytes=self.word_bytes, frame_bytes=self.frame_bytes)
        return data

    @classmethod
    def from_json(cls, data: dict) -> StreamFormat:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        fmt = cls(**{**known, "shape": tuple(int(v) for v in known["shape"])})
        for derived in ("word_bytes", "frame_bytes"):
            if derived in data and data[derived] != getattr(fmt, derived):
                raise QnnflowError(
                    f"stream '{fmt.tensor}': {derived} {data[derived]} in the package "
                    f"disagrees with {getattr(fmt, derived)} computed from its format"
                )
        return fmt


def check_batch(fmt: StreamFormat, batch: np.ndarray) -> np.ndarray:
    """A [N, *shape[1:]] batch of integers in range (its own integer dtype; integral floats as
    int64); anything else is an error. A dtype that cannot leave the range (uint8 codes of a
    UINT8 stream) skips the min/max pass, so a checked frame costs no extra copy."""
    array = np.asarray(batch)
    frame_shape = tuple(fmt.shape[1:])
    if array.ndim != len(fmt.shape) or tuple(array.shape[1:]) != frame_shape:
        raise QnnflowError(
            f"accelerator input '{fmt.tensor}' takes [N, {', '.join(map(str, frame_shape))}] "
            f"({fmt.dtype}), got shape {list(array.shape)}"
        )
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise QnnflowError(
                f"accelerator input '{fmt.tensor}' ({fmt.dtype}) must hold integers, "
                "got non-integer floats"
            )
    elif array.dtype.kind not in "iub":
        raise QnnflowError(
            f"accelerator input '{fmt.tensor}' ({fmt.dtype}) must be an integer array, "
            f"got dtype {array.dtype}"
        )
    ints = array if array.dtype.kind in "iu" else array.astype(np.int64)
    low, high = fmt.value_range
    if fmt.bipolar and ints.size and np.any(ints == 0):
        raise QnnflowError(f"accelerator input '{fmt.tensor}' (BIPOLAR) takes -1 or +1, got 0")
    info = np.iinfo(ints.dtype)
    if ints.size and (info.min < low or info.max > high):
        lowest, highest = int(ints.min()), int(ints.max())
        if lowest < low or highest > high:
            raise QnnflowError(
                f"accelerator input '{fmt.tensor}' ({fmt.dtype}) takes values in "
                f"[{low}, {high}], got [{lowest}, {highest}]"
            )
    return ints


def to_stream_order(fmt: StreamFormat, normal: np.ndarray) -> np.ndarray:
    """[N, *shape[1:]] -> [N, elements] in the order the stream carries them."""
    return to_group_major(normal, fmt.channel_groups).reshape(normal.shape[0], fmt.elements)


def from_stream_order(fmt: StreamFormat, stream: np.ndarray) -> np.ndarray:
    """Inverse of `to_stream_order`: [N, elements] -> [N, *shape[1:]] normal NHWC."""
    return from_group_major(stream, fmt.shape, fmt.channel_groups)


def pack_frames(fmt: StreamFormat, batch: np.ndarray) -> np.ndarray:
    """A checked normal batch -> the DMA bytes [N, frame_bytes] uint8."""
    ints = check_batch(fmt, batch)
    words = to_stream_order(fmt, ints).reshape(ints.shape[0], fmt.words, fmt.per_word)
    return pack(words, fmt.bits, 8, bipolar=fmt.bipolar).reshape(ints.shape[0], fmt.frame_bytes)


def unpack_frames(fmt: StreamFormat, data: np.ndarray, frames: int) -> np.ndarray:
    """DMA bytes of `frames` frames -> the normal batch [N, *shape[1:]] int64."""
    raw = np.asarray(data, dtype=np.uint8).reshape(-1)
    if raw.size != frames * fmt.frame_bytes:
        raise QnnflowError(
            f"accelerator output '{fmt.tensor}': got {raw.size} bytes, expected {frames} "
            f"frames x {fmt.frame_bytes} bytes"
        )
    words = raw.reshape(frames, fmt.words, fmt.word_bytes)
    values = unpack(words, fmt.per_word, fmt.bits, fmt.signed, fmt.bipolar)
    values = values.reshape(frames, fmt.elements)
    return from_stream_order(fmt, values)
