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
