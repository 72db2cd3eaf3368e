"""Stream formats: the DMA byte layout of odd widths, channel-group-major order, checks."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.driver.formats import (
    StreamFormat,
    from_stream_order,
    pack_frames,
    to_stream_order,
    unpack_frames,
)
from qnnflow.errors import QnnflowError


def _fmt(shape, per_word, bits, signed=False, groups=1, dtype="X"):
    words = int(np.prod(shape)) // per_word
    return StreamFormat("t", tuple(shape), dtype, per_word, bits, signed, words, groups)


def _reference_bytes(fmt: StreamFormat, stream: np.ndarray) -> bytes:
    """Independent of qnnflow.packing: each word as a Python int, little-endian bytes."""
    out = b""
    mask = (1 << fmt.bits) - 1
    for word in stream.reshape(-1, fmt.per_word):
        value = sum((int(v) & mask) << (k * fmt.bits) for k, v in enumerate(word))
        out += value.to_bytes(fmt.word_bytes, "little")
    return out


@pytest.mark.parametrize(
    ("shape", "per_word", "bits", "signed", "word_bytes"),
    [
        ((1, 4, 4, 32), 16, 3, False, 6),  # 48-bit words
        ((1, 3, 5, 8), 1, 8, False, 1),  # 1 x 8
        ((1, 2, 2, 6), 3, 8, True, 3),  # signed 8
        ((1, 2, 3, 10), 5, 1, False, 1),  # 5 bits in a byte
        ((1, 1, 1, 21), 7, 5, True, 5),  # 35-bit words, signed
    ],
)
def test_round_trip_and_byte_layout(shape, per_word, bits, signed, word_bytes):
    fmt = _fmt(shape, per_word, bits, signed)
    assert fmt.word_bytes == word_bytes
    low, high = fmt.value_range
    rng = np.random.default_rng(bits)
    batch = rng.integers(low, high + 1, size=(3, *shape[1:]))
    data = pack_frames(fmt, batch)
    assert data.shape == (3, fmt.words * word_bytes)
    for f in range(3):
        assert data[f].tobytes() == _reference_bytes(fmt, batch[f].reshape(-1))
    assert np.array_equal(unpack_frames(fmt, data, 3), batch)


def test_group_major_order_is_all_pixels_of_each_channel_group():
    fmt = _fmt((1, 2, 3, 4), 2, 4, groups=2)
    normal = np.arange(24).reshape(1, 2, 3, 4)
    stream = to_stream_order(fmt, normal)[0]
    # channels 0-1 of pixels 0..5, then channels 2-3 of pixels 0..5
    want = [p * 4 + c for g in range(2) for p in range(6) for c in (2 * g, 2 * g + 1)]
    assert stream.tolist() == want
    assert np.array_equal(from_stream_order(fmt, stream[None]), normal)
    data = pack_frames(fmt, normal % 16)
    assert np.array_equal(unpack_frames(fmt, data, 1), normal % 16)


def test_bad_batches_are_refused_with_the_reason():
    fmt = _fmt((1, 2, 2, 4), 4, 3, dtype="UINT3")
    with pytest.raises(QnnflowError, match=r"takes \[N, 2, 2, 4\].*got shape \[2, 2, 4\]"):
        pack_frames(fmt, np.zeros((2, 2, 4)))
    with pytest.raises(QnnflowError, match=r"values in \[0, 7\], got \[8, 8\]"):
        pack_frames(fmt, np.full((1, 2, 2, 4), 8))
    with pytest.raises(QnnflowError, match=r"values in \[0, 7\], got \[-1, -1\]"):
        pack_frames(fmt, np.full((1, 2, 2, 4), -1))
    with pytest.raises(QnnflowError, match="non-integer floats"):
        pack_frames(fmt, np.full((1, 2, 2, 4), 0.5))
    with pytest.raises(QnnflowError, match="must be an integer array"):
        pack_frames(fmt, np.full((1, 2, 2, 4), "a"))
    with pytest.raises(QnnflowError, match="got 5 bytes, expected 1 frames x 8 bytes"):
        unpack_frames(fmt, np.zeros(5, np.uint8), 1)


def test_inconsistent_formats_are_refused():
    with pytest.raises(QnnflowError, match="3 words x 4 elements != 16"):
        StreamFormat("t", (1, 2, 2, 4), "UINT3", 4, 3, False, 3)
    with pytest.raises(QnnflowError, match="3 channel groups do not divide 4"):
        StreamFormat("t", (1, 2, 2, 4), "UINT3", 4, 3, False, 4, 3)
    good = _fmt((1, 2, 2, 4), 4, 3).to_json()
    assert StreamFormat.from_json(good) == _fmt((1, 2, 2, 4), 4, 3)
    with pytest.raises(QnnflowError, match="word_bytes 3 in the package disagrees with 2"):
        StreamFormat.from_json({**good, "word_bytes": 3})
