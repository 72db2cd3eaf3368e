"""The gathered (no per-bit work) pack and unpack equal the bit-plane reference bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.driver.formats import StreamFormat, pack_frames, unpack_frames
from qnnflow.errors import QnnflowError
from qnnflow.packing import (
    GATHER_MAX_BITS,
    pack,
    pack_bit_planes,
    pack_gathered,
    unpack,
    unpack_bit_planes,
    unpack_gathered,
)

WIDTHS = [1, 2, 3, 5, 7, 9, 13, 17, 18, 23, 24, 31, 32, 33, 45, 57]
SHAPES = [(1, 8), (3, 8), (4, 8), (7, 64), (8, 8), (13, 32), (64, 8)]  # (count, align_bits)


def _range(bits: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def _values(bits: int, signed: bool, count: int, seed: int) -> np.ndarray:
    """Random codes [2, 3, count] with the range edges, -1/0/1 planted in the first pixels."""
    low, high = _range(bits, signed)
    values = np.random.default_rng(seed).integers(low, high, size=(2, 3, count), endpoint=True)
    edges = [low, high, 0, min(1, high), -1 if signed else high - 1]
    values[0, 0] = low
    values[0, 1] = high
    values[0, 2, : min(count, len(edges))] = edges[:count]
    return values


@pytest.mark.parametrize("bits", WIDTHS)
def test_gathered_equals_bit_planes_on_codes_and_edges(bits):
    for signed in (False, True):
        for count, align in SHAPES:
            values = _values(bits, signed, count, bits * 100 + count)
            reference = pack_bit_planes(values, bits, align)
            packed = pack_gathered(values, bits, align)
            assert packed.dtype == np.uint8 and packed.shape == reference.shape
            np.testing.assert_array_equal(packed, reference, err_msg=f"{bits} {signed} {count}")
            back = unpack_gathered(reference, count, bits, signed)
            assert back.dtype == np.int64
            np.testing.assert_array_equal(back, values)
            np.testing.assert_array_equal(pack(values, bits, align), reference)
            np.testing.assert_array_equal(unpack(reference, count, bits, signed), values)


@pytest.mark.parametrize("bits", WIDTHS)
def test_unpack_of_arbitrary_bytes_equals_bit_planes(bits):
    """Garbage in the padding bits and every bit pattern in the elements read the same."""
    rng = np.random.default_rng(bits)
    for count, _ in SHAPES:
        row = -(-count * bits // 8) + int(rng.integers(0, 3))  # some rows carry spare bytes
        data = rng.integers(0, 256, size=(5, row), dtype=np.uint8)
        data[0] = 0xFF
        data[1] = 0
        for signed in (False, True):
            np.testing.assert_array_equal(
                unpack_gathered(data, count, bits, signed),
                unpack_bit_planes(data, count, bits, signed),
            )


def test_one_dimensional_and_empty_inputs():
    values = np.array([5, -3, 0, 7, -8])
    packed = pack(values, 4)
    assert packed.shape == (3,)
    np.testing.assert_array_equal(unpack_gathered(packed, 5, 4, signed=True), values)
    empty = np.zeros((0, 3), np.uint8)
    assert unpack_gathered(empty, 1, 18, signed=True).shape == (0, 1)
    assert pack_gathered(np.zeros((0, 1), np.int64), 18).shape == (0, 3)


def test_too_few_bits_and_wider_than_a_read_fall_back():
    with pytest.raises(QnnflowError, match=r"^16 bits per pixel, need 1 x 18$"):
        unpack(np.zeros((4, 2), np.uint8), 1, 18)
    with pytest.raises(QnnflowError, match=r"^16 bits per pixel, need 1 x 18$"):
        unpack_gathered(np.zeros((4, 2), np.uint8), 1, 18)
    bits = GATHER_MAX_BITS + 3  # no single 64-bit read covers it: the bit planes take it
    values = _values(bits, True, 3, 0)
    packed = pack(values, bits, 64)
    np.testing.assert_array_equal(packed, pack_bit_planes(values, bits, 64))
    np.testing.assert_array_equal(unpack(packed, 3, bits, signed=True), values)


@pytest.mark.parametrize(
    "dtype,bits,per_word,groups",
    [
        ("INT18", 18, 1, 5),
        ("INT23", 23, 5, 1),
        ("UINT3", 3, 7, 1),
        ("INT13", 13, 35, 5),
        ("BIPOLAR", 1, 15, 1),
    ],
)
def test_multi_frame_streams_equal_the_bit_plane_unpack(dtype, bits, per_word, groups):
    """unpack_frames of a 3-frame batch (channel-group-major where G > 1) restores the batch,
    and its words equal the bit-plane packing of the stream-ordered element codes."""
    signed = dtype.startswith("INT")
    fmt = StreamFormat("t", (1, 3, 4, 35), dtype, per_word, bits, signed, 420 // per_word, groups)
    rng = np.random.default_rng(bits)
    if fmt.bipolar:
        batch = rng.choice(np.array([-1, 1]), size=(3, 3, 4, 35))
    else:
        batch = rng.integers(*fmt.value_range, size=(3, 3, 4, 35), endpoint=True)
        batch[0, 0, 0, :2] = fmt.value_range
    data = pack_frames(fmt, batch)
    codes = (batch > 0).astype(np.int64) if fmt.bipolar else batch
    stream = codes.reshape(3, 12, groups, 35 // groups).transpose(0, 2, 1, 3)
    reference = pack_bit_planes(stream.reshape(3, fmt.words, per_word), bits)
    np.testing.assert_array_equal(data, reference.reshape(3, fmt.frame_bytes))
    np.testing.assert_array_equal(unpack_frames(fmt, data, 3), batch)
