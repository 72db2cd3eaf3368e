"""Memory init files of the RTL kernels: `$readmemh` text, one word per line, element 0 in
the least significant bits (as on a stream), signed elements in two's complement."""

from __future__ import annotations

import numpy as np

from qnnflow.packing import pack


def mem_text(words: np.ndarray, bits: int) -> str:
    """[depth, K] integers of `bits` bits -> the hex text of `depth` words of K*bits bits."""
    words = np.asarray(words)
    width = words.shape[1] * bits
    raw = pack(words, bits, align_bits=8 * -(-width // 8))  # [depth, bytes], little-endian
    digits = -(-width // 4)
    lines = [row[::-1].tobytes().hex()[-digits:] for row in raw]
    return "\n".join(lines) + "\n"


def ddr_mem(image: np.ndarray, word_bits: int = 64) -> str:
    """A DDR image (little-endian bytes, a whole number of words) as `word_bits`-bit words."""
    raw = np.asarray(image, dtype=np.uint8).reshape(-1, word_bits // 8)
    return "".join(row[::-1].tobytes().hex() + "\n" for row in raw)
