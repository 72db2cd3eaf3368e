"""Hex words <-> stream elements: write_words and read_words invert each other for widths of
whole and odd hex digits, signed, unsigned and bipolar elements, and a word with x/z bits is
named instead of read as a number."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.backends.rtl.words import read_words, write_words
from qnnflow.errors import QnnflowError


@pytest.mark.parametrize(
    "spec",
    [
        StreamSpec(per_word=3, bits=3, signed=False, words=5),  # 9 bits: 3 digits, 2 bytes
        StreamSpec(per_word=4, bits=4, signed=True, words=7),  # 16 bits: whole bytes
        StreamSpec(per_word=5, bits=1, signed=False, words=3, bipolar=True),
        StreamSpec(per_word=2, bits=24, signed=True, words=4),
    ],
)
def test_words_round_trip(spec, tmp_path):
    rng = np.random.default_rng(spec.width)
    if spec.bipolar:
        values = rng.choice([-1, 1], size=spec.elements)
    else:
        low = -(1 << (spec.bits - 1)) if spec.signed else 0
        values = rng.integers(low, low + (1 << spec.bits), size=spec.elements)
        values[: spec.per_word] = low + (1 << spec.bits) - 1  # the top of the range first
    path = tmp_path / "w.hex"
    assert write_words(path, spec, values) == spec.words
    np.testing.assert_array_equal(read_words(path, spec), values)


def test_unknown_bits_are_named(tmp_path):
    spec = StreamSpec(per_word=2, bits=4, signed=False, words=2)
    path = tmp_path / "w.hex"
    path.write_text("3a\nx1\n")
    with pytest.raises(QnnflowError, match="'x1' has unknown bits"):
        read_words(path, spec)
