"""Property tests for Darknet .weights parsing: random bytes, random headers and truncations
of a real file give DarknetWeights (that serialize back byte for byte) or one DarknetError;
a truncated file names the expected and actual float counts and the first short layer."""

from __future__ import annotations

import functools
import struct

import pytest
from hypothesis import given, seed
from hypothesis import strategies as st

from qnnflow.errors import DarknetError
from qnnflow.frontend.darknet.cfg_reader import parse_cfg_text
from qnnflow.frontend.darknet.layers import DarknetNetwork
from qnnflow.frontend.darknet.parse_network import build_network
from qnnflow.frontend.darknet.weights import DarknetWeights, parse_weights, serialize_weights
from tests.conftest import DEFAULT_CFG
from tests.frontend.darknet.test_fuzz_cfg import FUZZ, note

TINY_CFG = (
    "[net]\nwidth=4\nheight=4\nchannels=1\n"
    "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nbatch_normalize=1\nfilters=1\nsize=1\nactivation=relu\n"
)  # 2 + 2 floats, then 1 + 3 (bn) + 2 floats: 10 floats after the header


@functools.cache
def tiny_network() -> DarknetNetwork:
    return build_network(parse_cfg_text(TINY_CFG, "tiny.cfg"))


@functools.cache
def default_model() -> tuple[DarknetNetwork, bytes]:
    network = build_network(parse_cfg_text(DEFAULT_CFG.read_text(), str(DEFAULT_CFG)))
    return network, DEFAULT_CFG.with_suffix(".weights").read_bytes()


def parse_or_error(data: bytes, network: DarknetNetwork) -> DarknetWeights | None:
    try:
        weights = parse_weights(data, network, "fuzz.weights")
    except DarknetError as exc:
        assert str(exc).startswith("fuzz.weights: ") and "\n" not in str(exc), str(exc)
        note("DarknetError")
        return None
    note("parsed")
    assert serialize_weights(weights, network) == data  # whatever parses writes back as read
    return weights


@FUZZ
@seed(3)
@given(
    st.one_of(
        st.binary(max_size=72),
        st.sampled_from([16, 19, 20, 56, 60, 64]).flatmap(
            lambda n: st.binary(min_size=n, max_size=n)
        ),
    )
)
def test_random_bytes_as_weights(data):
    """Random bytes, often of the two valid lengths (16 or 20 header bytes + 40 body bytes)."""
    parse_or_error(data, tiny_network())


HEADER_VERSIONS = st.tuples(
    st.sampled_from([0, 0, 1, 2, -1, 999, 1000, 2**31 - 1]),
    st.sampled_from([0, 1, 2, 5, -3, 999, 1000]),
)


@FUZZ
@seed(4)
@given(HEADER_VERSIONS, st.sampled_from([4, 8]), st.integers(0, 3), st.binary(max_size=9))
def test_default_weights_with_random_header_version_and_tail(version, seen_bytes, cut, tail):
    """Darknet's header rule decides 16 or 20 bytes; only an exact float count parses."""
    network, data = default_model()
    major, minor = version
    body = data[20:] if cut == 0 else data[20 : -4 * cut]
    candidate = struct.pack("<3i", major, minor, 0) + bytes(seen_bytes) + body + tail
    header = 20 if major * 10 + minor >= 2 and major < 1000 and minor < 1000 else 16
    parsed = parse_or_error(candidate, network)
    assert (parsed is not None) == (len(candidate) - header == len(data) - 20), (version, cut)
    if parsed is not None:
        assert (parsed.major, parsed.minor, parsed.header_bytes) == (major, minor, header)


def _first_short_layer(network: DarknetNetwork, available: int):
    offset = 0
    for layer in network.conv_layers:
        offset += layer.num_weight_floats
        if offset > available:
            return layer
    raise AssertionError("nothing is short")


@FUZZ
@seed(5)
@given(st.data())
def test_truncated_weights_name_counts_and_first_short_layer(data):
    network, raw = default_model()
    needed = (len(raw) - 20) // 4
    floats = data.draw(st.integers(0, needed - 1))
    cut = 20 + 4 * floats
    with pytest.raises(DarknetError) as info:
        parse_weights(raw[:cut], network, "fuzz.weights")
    message = str(info.value)
    assert message.startswith("fuzz.weights: truncated: ")
    assert f"the cfg needs {needed} floats" in message
    assert f"the file has {floats};" in message
    assert _first_short_layer(network, floats).describe() in message


@FUZZ
@seed(6)
@given(st.integers(0, 1_700_000))
def test_any_cut_of_the_weights_is_an_error(cut):
    network, raw = default_model()
    cut = min(cut, len(raw) - 1)
    assert parse_or_error(raw[:cut], network) is None
