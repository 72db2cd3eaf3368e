"""Stream elements <-> the hex words the Verilator testbench reads and writes: one word per
line, element 0 in the least significant bits (the stream contract), BIPOLAR as one bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qnnflow import packing
from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.errors import QnnflowError


def _word_bytes(spec: StreamSpec) -> int:
    return -(-spec.width // 8)


def write_words(path: Path, spec: StreamSpec, elements: np.ndarray) -> int:
    """Write `elements` (any shape, stream order) as words of `spec`; returns the word count."""
    flat = np.asarray(elements).reshape(-1)
    if flat.size % spec.per_word:
        raise QnnflowError(f"{flat.size} elements do not fill words of {spec.per_word}")
    words = flat.reshape(-1, spec.per_word)
    raw = packing.pack(words, spec.bits, align_bits=8 * _word_bytes(spec), bipolar=spec.bipolar)
    text = raw[:, ::-1].tobytes().hex()
    step = 2 * raw.shape[1]
    lines = [text[i : i + step] for i in range(0, len(text), step)]
    Path(path).write_text("\n".join(lines) + ("\n" if lines else ""))
    return len(lines)


def read_words(path: Path, spec: StreamSpec) -> np.ndarray:
    """The elements of the words in `path` (one hex word per line) as int64, stream order.
    Whole-file and vectorised: a frame-buffered layer of a real network writes millions of
    words, which a per-line (let alone per-character) Python loop took minutes to read."""
    lines = Path(path).read_text().split()
    size = _word_bytes(spec)
    if not lines:
        return np.zeros(0, np.int64)
    width = len(lines[0])  # $fwrite's %h: every word as ceil(width / 4) digits
    if width <= 2 * size and all(len(line) == width for line in lines):
        text = "".join(lines)
        if width < 2 * size:  # an odd digit count: left-pad every word to whole bytes
            text = "".join(line.rjust(2 * size, "0") for line in lines)
        try:
            raw = np.frombuffer(bytes.fromhex(text), np.uint8).reshape(len(lines), size)
        except ValueError:  # x or z bits: the per-line path names the word
            raw = _read_lines(path, lines, size)
    else:
        raw = _read_lines(path, lines, size)
    values = packing.unpack(
        np.ascontiguousarray(raw[:, ::-1]),
        spec.per_word,
        spec.bits,
        spec.signed,
        bipolar=spec.bipolar,
    )
    return values.reshape(-1)


def _read_lines(path: Path, lines: list[str], size: int) -> np.ndarray:
    """[words, size] big-endian bytes of words of uneven length; raises on a non-hex word."""
    raw = np.zeros((len(lines), size), np.uint8)
    for row, line in enumerate(lines):
        if any(c not in "0123456789abcdefABCDEF" for c in line):
            raise QnnflowError(f"{path}: word {line!r} has unknown bits (x/z) or is not hex")
        value = bytes.fromhex(line.rjust(2 * size, "0")[-2 * size :])
        raw[row] = np.frombuffer(value, np.uint8)
    return raw
