"""Memory init files for `$readmemh`: one word per line in hex, most significant digit first,
element 0 of a word in its lowest bits (the stream contract's packing)."""

from __future__ import annotations

import numpy as np

from qnnflow.packing import pack


def hex_lines(raw: np.ndarray) -> str:
    """[words, bytes] little-endian uint8 rows -> the .mem text."""
    raw = np.asarray(raw, dtype=np.uint8).reshape(raw.shape[0], -1)
    return "".join(row[::-1].tobytes().hex() + "\n" for row in raw)


def packed_mem(values: np.ndarray, bits: int) -> str:
    """[words, elements] integers (two's complement when negative) of `bits` each -> .mem."""
    values = np.asarray(values)
    return hex_lines(pack(values.reshape(values.shape[0], -1), bits))


def ddr_mem(image: np.ndarray, word_bits: int = 64) -> str:
    """A DDR image (bytes, a whole number of words) as `word_bits`-bit words."""
    return hex_lines(np.asarray(image, dtype=np.uint8).reshape(-1, word_bits // 8))
