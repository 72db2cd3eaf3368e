"""Stream packing: element 0 in the lowest bits, little-endian, aligned words."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.packing import pack, packed_bytes, read_packed_frame, unpack


def test_known_bit_layout():
    # codes 1, 2, 3 (3 bits each): bits 001 010 011 LSB-first -> 0b011_010_001 = 0xD1, 0x00
    assert pack(np.array([1, 2, 3]), 3).tolist() == [0xD1, 0x00]
    assert packed_bytes(16, 3, 64) == 8 and packed_bytes(512, 3, 64) == 192


@pytest.mark.parametrize("bits,signed", [(1, False), (3, False), (4, True), (8, True)])
def test_roundtrip(bits, signed):
    rng = np.random.default_rng(bits)
    low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    values = rng.integers(low, high, size=(5, 7, 13))
    data = pack(values, bits, align_bits=64)
    assert data.shape == (5, 7, packed_bytes(13, bits, 64))
    np.testing.assert_array_equal(unpack(data, 13, bits, signed=signed), values)


def test_out_of_range_and_wrong_file_size(tmp_path):
    with pytest.raises(QnnflowError, match="do not fit 3 bits"):
        pack(np.array([8]), 3)
    path = tmp_path / "frame.bin"
    path.write_bytes(bytes(10))
    with pytest.raises(QnnflowError, match="10 bytes, expected 32"):
        read_packed_frame(path, 2, 2, 16, 3)


def test_range_edges_of_signed_and_unsigned_codes():
    """Two's complement down to -2**(bits-1), unsigned up to 2**bits - 1, nothing beyond."""
    np.testing.assert_array_equal(unpack(pack(np.array([-4, 3]), 3), 2, 3, signed=True), [-4, 3])
    assert unpack(pack(np.array([7, 4]), 3), 2, 3).tolist() == [7, 4]  # unsigned by default
    for outside in (-5, 8):
        with pytest.raises(QnnflowError, match=r"values in \[-?\d, \d\] do not fit 3 bits"):
            pack(np.array([0, outside]), 3)


def test_default_alignment_is_one_byte():
    assert packed_bytes(3, 3) == 2 and packed_bytes(8, 1) == 1 and packed_bytes(9, 1) == 2
    assert pack(np.array([1, 2, 3]), 3).shape == (2,)


def test_unpack_takes_any_integer_array_and_exact_sizes():
    values = np.array([1, 2, 3, 4, 5, 6, 7, 0])  # 8 x 3 bits: exactly 3 bytes
    data = pack(values, 3)
    assert data.shape == (3,)
    np.testing.assert_array_equal(unpack(data, 8, 3), values)
    np.testing.assert_array_equal(unpack(data.astype(np.int64), 8, 3), values)
    np.testing.assert_array_equal(unpack(data.tolist(), 8, 3), values)


def test_unpack_of_too_few_bits_names_both_sizes():
    with pytest.raises(QnnflowError, match=r"^8 bits per pixel, need 3 x 3$"):
        unpack(np.zeros((1, 2, 1), np.uint8), 3, 3)


def test_read_packed_frame_is_raster_order_of_64_bit_aligned_pixels(tmp_path):
    """200 x 3-bit codes = 600 bits -> 80 bytes per pixel at the default 64-bit alignment."""
    values = np.random.default_rng(3).integers(0, 8, size=(2, 3, 200))
    path = tmp_path / "frame.bin"
    pack(values, 3, align_bits=64).tofile(path)
    assert path.stat().st_size == 2 * 3 * 80
    np.testing.assert_array_equal(read_packed_frame(path, 2, 3, 200, 3), values)
    np.testing.assert_array_equal(read_packed_frame(path, 3, 2, 200, 3), values.reshape(3, 2, 200))


def test_bipolar_elements_are_one_bit_each():
    """+1 -> 1, -1 -> 0 (the code of a bipolar weight too); 0 has no code."""
    values = np.array([[1, -1, -1, 1, 1, 1, -1, -1, 1]])
    data = pack(values, 1, bipolar=True)
    assert data.tolist() == [[0b00111001, 0b1]]
    np.testing.assert_array_equal(unpack(data, 9, 1, bipolar=True), values)
    with pytest.raises(QnnflowError, match="BIPOLAR elements must be -1 or \\+1, got 0"):
        pack(np.array([1, 0]), 1, bipolar=True)


@pytest.mark.parametrize("bits", [17, 21, 24, 31, 32])
def test_wide_signed_accumulators_roundtrip_with_their_extremes(bits):
    """A linear head's INTk accumulators (k up to 32) pack and unpack two's complement."""
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    values = np.random.default_rng(bits).integers(low, high + 1, size=(3, 2, 7))
    values[0, 0, :4] = [low, high, -1, 0]
    data = pack(values, bits, align_bits=64)
    np.testing.assert_array_equal(unpack(data, 7, bits, signed=True), values)
    for outside in (low - 1, 1 << bits):  # below the signed range, above the unsigned one
        with pytest.raises(QnnflowError, match=f"do not fit {bits} bits"):
            pack(np.array([outside]), bits)


@pytest.mark.parametrize("bits", [8, 16, 32])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("count,align", [(1, 8), (3, 8), (3, 64), (5, 32), (16, 64)])
def test_byte_wide_fast_path_equals_bit_planes(bits, signed, count, align):
    """8/16/32-bit elements pack as a cast + byte view; the bytes equal the bit-plane path on
    random values and on the range edges, and unpack inverts both (signed too)."""
    from qnnflow.packing import pack_bit_planes, unpack_bit_planes

    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    rng = np.random.default_rng(bits + count)
    values = rng.integers(low, high, size=(4, 3, count), endpoint=True)
    values[0, 0] = low
    values[0, 1] = high
    values[0, 2] = 0
    fast, slow = pack(values, bits, align), pack_bit_planes(values, bits, align)
    assert fast.dtype == np.uint8 and fast.shape == slow.shape
    np.testing.assert_array_equal(fast, slow)
    smallest = np.dtype(f"{'i' if signed else 'u'}{bits // 8}")
    np.testing.assert_array_equal(pack(values.astype(smallest), bits, align), slow)
    back = unpack(fast, count, bits, signed=signed)
    assert back.dtype == np.int64
    np.testing.assert_array_equal(back, values)
    np.testing.assert_array_equal(back, unpack_bit_planes(slow, count, bits, signed))


def test_byte_wide_fast_path_refuses_what_the_bit_planes_refuse():
    for bad in (np.array([0, 256]), np.array([-129, 0]), np.array([0.0, 300.0])):
        with pytest.raises(QnnflowError, match="do not fit 8 bits"):
            pack(bad, 8)
    with pytest.raises(QnnflowError, match="8 bits per pixel, need 2 x 8"):
        unpack(np.zeros(1, np.uint8), 2, 8)
    frame = np.arange(12, dtype=np.uint8).reshape(2, 6)
    packed = pack(frame, 8)
    assert not np.shares_memory(packed, frame)  # a copy: the caller may reuse its frame
    np.testing.assert_array_equal(packed, frame)
