"""The one definition of how integer tensors are packed into bytes on streams and in files.

A pixel (the last axis, C elements of `bits` bits each) is a little-endian bit string:
element k occupies bits [k*bits, (k+1)*bits), least significant bit first; bit i of the
string is bit (i mod 8) of byte i//8. The string is zero-padded to a multiple of
`align_bits` (64 for the PYNQ-Z2's 64-bit AXI words), so 16 x 3-bit codes take 8 bytes
and 512 x 3-bit codes take 192. Elements of 8, 16 or 32 bits are whole little-endian bytes,
so those widths pack and unpack as a dtype cast and a byte view; other widths up to
GATHER_MAX_BITS gather each element from the 8 bytes that start at its first byte (shift,
mask, sign-extend) and pack each byte from the few elements that overlap it. `pack` and
`unpack` pick the fast path themselves; the bit-plane functions stay the reference that
every fast path equals bit for bit. Signed values are stored
in two's complement. A BIPOLAR element (-1 or +1) is one bit, +1 -> 1 and -1 -> 0, the
code of a bipolar weight too (`bipolar_bits`, `bipolar_values`); 0 has no code and is refused.

Element order on a stream: NHWC, except channel-group-major (G > 1 channel groups) behind a
layer that streams its weights from DDR: all pixels of channels [0, C/G), then all pixels of
the next C/G channels, and so on (`to_group_major`). Which streams have G > 1 is the graph
rule of qnnflow.ops.stream_order.
"""

from __future__ import annotations

from functools import lru_cache
from math import gcd

import numpy as np

from qnnflow.errors import QnnflowError


def packed_bytes(count: int, bits: int, align_bits: int = 8) -> int:
    """Bytes per packed pixel of `count` elements."""
    total = count * bits
    return -(-total // align_bits) * align_bits // 8


def bipolar_bits(values: np.ndarray) -> np.ndarray:
    """-1/+1 values -> their one-bit codes (+1 -> 1, -1 -> 0); anything else is refused."""
    ints = np.asarray(values).astype(np.int64)
    if ints.size and not np.all(np.abs(ints) == 1):
        bad = ints[np.abs(ints) != 1].reshape(-1)[0]
        raise QnnflowError(f"BIPOLAR elements must be -1 or +1, got {bad}")
    return (ints > 0).astype(np.int64)


def bipolar_values(codes: np.ndarray) -> np.ndarray:
    """One-bit codes -> -1/+1 (the inverse of `bipolar_bits`)."""
    return 2 * (np.asarray(codes).astype(np.int64) & 1) - 1


BYTE_WIDTHS = (8, 16, 32)  # element widths packed as whole bytes (a cast, no bit planes)
GATHER_MAX_BITS = 57  # an element shifted by up to 7 bits still fits one 64-bit read


def _integers(values: np.ndarray, bits: int) -> np.ndarray:
    """`values` as integers (its own integer dtype; floats and bools as int64), checked to fit
    `bits` bits signed or unsigned; the min/max pass is skipped when the dtype cannot miss."""
    ints = np.asarray(values)
    if ints.dtype.kind not in "iu":
        ints = ints.astype(np.int64)
    low, high = -(1 << (bits - 1)), (1 << bits) - 1
    info = np.iinfo(ints.dtype)
    if ints.size and (info.min < low or info.max > high):
        lowest, highest = int(ints.min()), int(ints.max())
        if lowest < low or highest > high:
            raise QnnflowError(f"values in [{lowest}, {highest}] do not fit {bits} bits")
    return ints


def _pack_bytes(ints: np.ndarray, bits: int, align_bits: int) -> np.ndarray:
    """Byte-wide elements: a cast to little-endian unsigned (two's complement wraps as the
    bit planes do), its bytes, and zero padding up to the alignment."""
    count, width = ints.shape[-1], bits // 8
    raw = ints.astype(f"<u{width}").view(np.uint8)  # a fresh C-contiguous copy
    size = packed_bytes(count, bits, align_bits)
    if size == count * width:
        return raw
    out = np.zeros((*ints.shape[:-1], size), np.uint8)
    out[..., : count * width] = raw
    return out


def pack(values: np.ndarray, bits: int, align_bits: int = 8, bipolar: bool = False) -> np.ndarray:
    """[..., C] integers -> [..., packed_bytes] uint8 (-1/+1 as one bit each when bipolar)."""
    if bipolar:
        values, bits = bipolar_bits(values), 1
    ints = _integers(values, bits)
    if bits in BYTE_WIDTHS:
        return _pack_bytes(ints, bits, align_bits)
    if bits <= GATHER_MAX_BITS:
        return pack_gathered(ints, bits, align_bits)
    return pack_bit_planes(ints, bits, align_bits)


def pack_bit_planes(values: np.ndarray, bits: int, align_bits: int = 8) -> np.ndarray:
    """The generic `pack` of checked integers, one bit plane per bit (any width)."""
    ints = np.asarray(values).astype(np.int64)
    unsigned = ints & ((1 << bits) - 1)
    bit_planes = (unsigned[..., None] >> np.arange(bits)) & 1  # [..., C, bits], LSB first
    flat = bit_planes.reshape(*ints.shape[:-1], ints.shape[-1] * bits).astype(np.uint8)
    pad = packed_bytes(ints.shape[-1], bits, align_bits) * 8 - flat.shape[-1]
    flat = np.concatenate([flat, np.zeros((*flat.shape[:-1], pad), np.uint8)], axis=-1)
    return np.packbits(flat, axis=-1, bitorder="little")


def unpack(
    data: np.ndarray, count: int, bits: int, signed: bool = False, bipolar: bool = False
) -> np.ndarray:
    """[..., packed_bytes] uint8 -> [..., count] int64 (inverse of `pack`)."""
    if bipolar:
        return bipolar_values(unpack(data, count, 1))
    raw = np.asarray(data, dtype=np.uint8)
    if raw.ndim == 0 or raw.shape[-1] * 8 < count * bits:
        have = raw.shape[-1] * 8 if raw.ndim else 0
        raise QnnflowError(f"{have} bits per pixel, need {count} x {bits}")
    if bits in BYTE_WIDTHS:
        width = bits // 8
        used = np.ascontiguousarray(raw[..., : count * width])
        return used.view(f"<{'i' if signed else 'u'}{width}").astype(np.int64)
    if bits <= GATHER_MAX_BITS:
        return unpack_gathered(raw, count, bits, signed)
    return unpack_bit_planes(raw, count, bits, signed)


def unpack_bit_planes(data: np.ndarray, count: int, bits: int, signed: bool = False) -> np.ndarray:
    """The generic `unpack`, one bit plane per bit (any width)."""
    flat = np.unpackbits(np.asarray(data, dtype=np.uint8), axis=-1, bitorder="little")
    if flat.shape[-1] < count * bits:
        raise QnnflowError(f"{flat.shape[-1]} bits per pixel, need {count} x {bits}")
    planes = flat[..., : count * bits].reshape(*flat.shape[:-1], count, bits).astype(np.int64)
    values = np.sum(planes << np.arange(bits), axis=-1)
    if signed:
        values = np.where(values >= 1 << (bits - 1), values - (1 << bits), values)
    return values


def unpack_gathered(data: np.ndarray, count: int, bits: int, signed: bool = False) -> np.ndarray:
    """`unpack` of widths up to GATHER_MAX_BITS without per-bit work. Elements k, k + period,
    k + 2*period ... (period = 8 / gcd(bits, 8)) start `period*bits/8` bytes apart at the same
    bit shift, so each of the <= 8 phases is one strided view of unaligned little-endian
    uint64 reads over a copy with 8 zero bytes after the end: shift, mask, sign-extend."""
    raw = np.asarray(data, dtype=np.uint8)
    row = raw.shape[-1] if raw.ndim else 0
    if row * 8 < count * bits:
        raise QnnflowError(f"{row * 8} bits per pixel, need {count} x {bits}")
    rows = raw.size // row if row else 0
    padded = np.zeros(raw.size + 8, np.uint8)
    padded[: raw.size] = raw.reshape(-1)
    period = 8 // gcd(bits, 8)
    step = period * bits // 8  # bytes between elements of one phase
    mask = np.uint64((1 << bits) - 1)
    values = np.empty((rows, count), np.int64)
    for phase in range(min(period, count)):
        first = phase * bits
        reads = np.ndarray(
            (rows, len(range(phase, count, period))),
            dtype="<u8",
            buffer=padded,
            offset=first // 8,
            strides=(row, step),
        )
        values[:, phase::period] = (reads >> np.uint64(first % 8)) & mask  # < 2**57: exact
    if signed:
        sign = 1 << (bits - 1)
        values ^= sign
        values -= sign
    return values.reshape(*raw.shape[:-1], count)


@lru_cache(maxsize=32)
def _byte_sources(count: int, bits: int, size: int) -> tuple[np.ndarray, ...]:
    """For each of `size` packed bytes and each of the T elements that may overlap it: the
    element (count = a zero element past the end) and the left and right shift that move its
    bits into place. Read-only [T, size] arrays (element, left, right)."""
    overlaps = -(-8 // bits) + 1
    first = np.arange(size, dtype=np.int64) * 8 // bits
    element = np.minimum(first[None, :] + np.arange(overlaps)[:, None], count)
    delta = element * bits - 8 * np.arange(size, dtype=np.int64)[None, :]
    left = np.clip(delta, 0, 63).astype(np.uint64)
    right = np.clip(-delta, 0, 63).astype(np.uint64)
    for array in (element, left, right):
        array.flags.writeable = False
    return element, left, right


def pack_gathered(values: np.ndarray, bits: int, align_bits: int = 8) -> np.ndarray:
    """`pack` of checked integers up to GATHER_MAX_BITS wide: each byte ORs the (at most
    ceil(8/bits) + 1) elements overlapping it, each shifted into place; no per-bit work."""
    ints = np.asarray(values)
    count = ints.shape[-1]
    size = packed_bytes(count, bits, align_bits)
    rows = ints.size // count if count else 0
    unsigned = np.zeros((rows, count + 1), np.uint64)  # column `count`: the zero element
    unsigned[:, :count] = (ints.reshape(rows, count).astype(np.int64) & ((1 << bits) - 1)).view(
        np.uint64
    )
    element, left, right = _byte_sources(count, bits, size)
    out = np.zeros((rows, size), np.uint64)
    for source, up, down in zip(element, left, right, strict=True):
        out |= (unsigned[:, source] << up) >> down
    out &= np.uint64(0xFF)
    return out.astype(np.uint8).reshape(*ints.shape[:-1], size)


def read_packed_frame(
    path, height: int, width: int, channels: int, bits: int, align_bits: int = 64
) -> np.ndarray:
    """A raster-order file of packed pixels -> [height, width, channels] int64."""
    per_pixel = packed_bytes(channels, bits, align_bits)
    data = np.fromfile(path, dtype=np.uint8)
    expected = height * width * per_pixel
    if data.size != expected:
        raise QnnflowError(
            f"{path}: {data.size} bytes, expected {expected} "
            f"({height}x{width} pixels x {per_pixel} bytes)"
        )
    return unpack(data.reshape(height, width, per_pixel), channels, bits)


def _check_groups(channels: int, groups: int) -> None:
    if groups < 1 or channels % groups:
        raise QnnflowError(f"{groups} channel groups do not divide {channels} channels")


def to_group_major(normal: np.ndarray, groups: int) -> np.ndarray:
    """[N, ..., C] NHWC -> [N, elements] in stream order (G sub-frames of C/G channels)."""
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
