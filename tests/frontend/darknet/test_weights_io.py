"""Darknet .weights I/O: byte-identical round trips for both header versions, size errors
that say expected vs actual floats and which layer runs out, and atomic writes."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

from qnnflow.errors import DarknetError
from qnnflow.frontend.darknet import load_network, read_weights, write_weights
from qnnflow.frontend.darknet.cfg_reader import parse_cfg_text
from qnnflow.frontend.darknet.parse_network import build_network
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.frontend.darknet.weights import parse_weights, serialize_weights

SMALL_CFG = """[net]
width=8
height=8
channels=3
[convolutional]
batch_normalize=1
filters=4
size=3
pad=1
activation=leaky
[maxpool]
size=2
stride=2
[convolutional]
filters=2
size=1
groups=2
activation=linear
"""
# layer 0: 4 biases + 3*4 batch-norm values + 4*3*3*3 weights = 124 floats
# layer 2: 2 biases + 2*(4/2)*1*1 weights = 6 floats
SMALL_FLOATS = 130


@pytest.fixture
def small():
    return build_network(parse_cfg_text(SMALL_CFG, "small.cfg"))


def small_file(major: int = 0, minor: int = 2, seen: int = 0, floats: int = SMALL_FLOATS) -> bytes:
    """A 64-bit-`seen` header (major*10+minor >= 2) and `floats` counting floats 0, 1, 2..."""
    header = struct.pack("<3iq", major, minor, 0, seen)
    return header + np.arange(floats, dtype="<f4").tobytes()


def test_small_cfg_float_count(small):
    assert sum(layer.num_weight_floats for layer in small.conv_layers) == SMALL_FLOATS


def test_default_model_read_write_read_is_byte_identical(default_cfg, tmp_path):
    network = load_network(default_cfg)
    source = default_cfg.with_suffix(".weights")
    first = read_weights(source, network)
    copy = tmp_path / "copy.weights"
    write_weights(copy, first, network)
    assert copy.read_bytes() == source.read_bytes()
    second = read_weights(copy, network)
    assert (second.major, second.minor, second.revision, second.seen) == (
        first.major,
        first.minor,
        first.revision,
        first.seen,
    )
    for index, params in first.layers.items():
        for a, b in zip(params.arrays(), second.layers[index].arrays(), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "major,minor,seen,header_bytes",
    [
        (0, 1, 2**31 - 1, 16),  # Darknet before 0.2: `seen` is a 32-bit int
        (0, 2, 2**40 + 3, 20),  # 0.2 and later: a 64-bit size_t
        (1, 0, 2**62, 20),
        (1000, 0, 7, 16),  # major >= 1000: Darknet reads 32 bits again
    ],
)
def test_generated_weights_round_trip_with_both_header_versions(
    small, tmp_path, major, minor, seen, header_bytes
):
    weights = random_weights(small, seed=3)
    weights.major, weights.minor, weights.revision, weights.seen = major, minor, 5, seen
    path = tmp_path / "w.weights"
    write_weights(path, weights, small)
    data = path.read_bytes()
    assert len(data) == header_bytes + 4 * SMALL_FLOATS
    assert struct.unpack_from("<3i", data) == (major, minor, 5)
    seen_format = "<q" if header_bytes == 20 else "<i"
    assert struct.unpack_from(seen_format, data, 12) == (seen,)
    again = read_weights(path, small)
    assert (again.major, again.minor, again.revision, again.seen) == (major, minor, 5, seen)
    assert again.header_bytes == header_bytes
    np.testing.assert_array_equal(again.layers[0].weights, weights.layers[0].weights)
    np.testing.assert_array_equal(
        again.layers[0].rolling_variance, weights.layers[0].rolling_variance
    )
    assert again.layers[2].weights.shape == (2, 2, 1, 1) and not again.layers[2].batch_normalize
    assert serialize_weights(again, small) == data


def test_arrays_are_split_in_darknet_file_order(small):
    weights = parse_weights(small_file(), small)
    first = weights.layers[0]
    np.testing.assert_array_equal(first.biases, [0, 1, 2, 3])
    np.testing.assert_array_equal(first.scales, [4, 5, 6, 7])
    np.testing.assert_array_equal(first.rolling_mean, [8, 9, 10, 11])
    np.testing.assert_array_equal(first.rolling_variance, [12, 13, 14, 15])
    assert first.weights.shape == (4, 3, 3, 3) and first.weights.flat[0] == 16
    np.testing.assert_array_equal(weights.layers[2].biases, [124, 125])
    np.testing.assert_array_equal(weights.layers[2].weights.ravel(), [126, 127, 128, 129])


@pytest.mark.parametrize(
    "floats,layer,span",
    [
        (0, "layer 0 (convolutional, line 5)", "[0, 124)"),
        (123, "layer 0 (convolutional, line 5)", "[0, 124)"),
        (124, "layer 2 (convolutional, line 14)", "[124, 130)"),
        (129, "layer 2 (convolutional, line 14)", "[124, 130)"),
    ],
)
def test_truncated_file_names_expected_actual_and_first_short_layer(small, floats, layer, span):
    with pytest.raises(DarknetError) as info:
        parse_weights(small_file(floats=floats), small, "w.weights")
    assert str(info.value) == (
        f"w.weights: truncated: the cfg needs 130 floats after the 20-byte header but the file "
        f"has {floats}; {layer} needs floats {span} and the file ends at {floats}"
    )


def test_truncated_default_weights(default_cfg):
    network = load_network(default_cfg)
    data = default_cfg.with_suffix(".weights").read_bytes()
    with pytest.raises(DarknetError) as info:
        parse_weights(data[: len(data) - 4], network, "d.weights")
    message = str(info.value)
    assert "the cfg needs 404637 floats" in message and "the file has 404636;" in message
    assert network.conv_layers[-1].describe() in message


def test_too_long_file_says_how_many_extra(small):
    with pytest.raises(DarknetError) as info:
        parse_weights(small_file(floats=SMALL_FLOATS + 3), small, "w.weights")
    assert str(info.value) == (
        "w.weights: too long: the cfg needs 130 floats after the header but the file has 133 "
        "(3 extra); is it the weights of another cfg?"
    )


@pytest.mark.parametrize("size", [0, 1, 12, 15])
def test_header_shorter_than_16_bytes(small, size):
    with pytest.raises(DarknetError) as info:
        parse_weights(small_file()[:size], small, "w.weights")
    assert str(info.value) == f"w.weights: file has {size} bytes, shorter than the 16-byte header"


def test_64_bit_header_cut_inside_seen(small):
    with pytest.raises(DarknetError, match=r"^w\.weights: file has 18 bytes, shorter than the 20"):
        parse_weights(small_file()[:18], small, "w.weights")


def test_body_not_whole_floats(small):
    with pytest.raises(DarknetError) as info:
        parse_weights(small_file() + b"\0\0", small, "w.weights")
    assert str(info.value) == (
        "w.weights: 522 bytes after the header is not a whole number of floats"
    )


def test_missing_weights_file(small, tmp_path):
    with pytest.raises(DarknetError, match=r"nope\.weights: cannot read weights: No such file"):
        read_weights(tmp_path / "nope.weights", small)


def test_failed_serialization_writes_nothing_and_keeps_the_old_file(small, tmp_path):
    weights = random_weights(small, seed=1)
    target = tmp_path / "w.weights"
    weights.layers[2].weights = np.zeros((2, 4, 1, 1), np.float32)  # groups=2 needs (2, 2, 1, 1)
    with pytest.raises(DarknetError) as info:
        write_weights(target, weights, small)
    assert str(info.value) == (
        "layer 2 (convolutional, line 14): weights shape (2, 4, 1, 1), cfg needs (2, 2, 1, 1)"
    )
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"old")
    with pytest.raises(DarknetError):
        write_weights(target, weights, small)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_missing_layer_or_batch_norm_mismatch_is_refused(small, tmp_path):
    weights = random_weights(small, seed=1)
    del weights.layers[2]
    with pytest.raises(DarknetError, match=r"^no parameters for layer 2 \(convolutional"):
        write_weights(tmp_path / "w.weights", weights, small)
    weights = random_weights(small, seed=1)
    weights.layers[0].scales = None
    with pytest.raises(DarknetError, match=r"^batch_normalize of layer 0 .* differs"):
        write_weights(tmp_path / "w.weights", weights, small)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_no_temp_file(small, tmp_path, monkeypatch):
    target = tmp_path / "w.weights"
    target.write_bytes(b"old")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        write_weights(target, random_weights(small, seed=1), small)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]
