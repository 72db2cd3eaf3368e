"""Weights files: read -> write -> read is byte-identical for both header versions; wrong
sizes say expected vs actual floats and the first layer that runs out."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from qnnflow.errors import DarknetError
from qnnflow.frontend.darknet import load_network, read_weights, write_weights
from qnnflow.frontend.darknet.weights import parse_weights, serialize_weights


def test_default_model_roundtrip_is_byte_identical(default_cfg, tmp_path):
    network = load_network(default_cfg)
    original = default_cfg.with_suffix(".weights").read_bytes()
    out = tmp_path / "copy.weights"
    write_weights(out, read_weights(default_cfg.with_suffix(".weights"), network), network)
    assert out.read_bytes() == original
    again = read_weights(out, network)
    assert again.seen_is_64bit and again.header_bytes == 20


@pytest.mark.parametrize("major,minor,header", [(0, 1, 16), (0, 2, 20), (1, 0, 20)])
def test_header_versions(default_cfg, major, minor, header):
    network = load_network(default_cfg)
    body = default_cfg.with_suffix(".weights").read_bytes()[20:]
    seen = struct.pack("<q" if header == 20 else "<i", 12345)
    data = struct.pack("<3i", major, minor, 7) + seen + body
    weights = parse_weights(data, network)
    assert (weights.major, weights.minor, weights.revision, weights.seen) == (
        major,
        minor,
        7,
        12345,
    )
    assert serialize_weights(weights, network) == data


def test_truncated_file_names_expected_actual_and_layer(default_cfg):
    network = load_network(default_cfg)
    data = default_cfg.with_suffix(".weights").read_bytes()[: 20 + 4 * 1000]
    with pytest.raises(
        DarknetError,
        match=r"truncated: the cfg needs 404637 floats after the "
        r"20-byte header but the file has 1000; layer 1 \(convolutional, line "
        r"\d+\) needs floats \[496, 2864\)",
    ):
        parse_weights(data, network, "w.weights")


def test_too_long_and_too_short(default_cfg):
    network = load_network(default_cfg)
    data = default_cfg.with_suffix(".weights").read_bytes()
    with pytest.raises(DarknetError, match="too long: .* 404637 .* 404640 \\(3 extra\\)"):
        parse_weights(data + bytes(12), network)
    with pytest.raises(DarknetError, match="shorter than the 16-byte header"):
        parse_weights(data[:10], network)
    with pytest.raises(DarknetError, match="not a whole number of floats"):
        parse_weights(data[:-2], network)


def test_failed_write_leaves_nothing(default_cfg, tmp_path):
    network = load_network(default_cfg)
    weights = read_weights(default_cfg.with_suffix(".weights"), network)
    weights.layers[1].weights = np.zeros((1, 2, 3, 3), np.float32)
    with pytest.raises(DarknetError, match="weights shape"):
        write_weights(tmp_path / "bad.weights", weights, network)
    assert list(tmp_path.iterdir()) == []
