"""Malformed and unsupported cfgs give one DarknetError naming file:line and the reason."""

from __future__ import annotations

import logging

import pytest

from qnnflow.errors import DarknetError
from qnnflow.frontend.darknet.cfg_reader import parse_cfg_text
from qnnflow.frontend.darknet.parse_network import build_network

NET = "[net]\nwidth=16\nheight=16\nchannels=3\n"
CONV = "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=relu\n"


def build(text: str):
    return build_network(parse_cfg_text(text, "t.cfg"))


@pytest.mark.parametrize(
    "text,message",
    [
        (
            NET + "[convolutional]\nfilters=abc\n",
            r"t.cfg:6: \[convolutional\] filters: expected an "
            r"integer, got 'abc'",
        ),
        (
            NET + "[foo]\nx=1\n",
            r"t.cfg:5: \[foo\] unknown or unsupported section \(supported: "
            r"\[convolutional\], \[maxpool\]",
        ),
        (
            NET + CONV.replace("relu", "mish"),
            r"t.cfg:9: .*activation: 'mish' is not supported "
            r"\(supported: linear, leaky, relu, logistic\)",
        ),
        (
            NET + CONV + "[route]\nlayers=3\n",
            r"t.cfg:11: \[route\] layers: layer 3 resolves to 3, "
            r"outside 0..0",
        ),
        (
            NET + CONV + "[maxpool]\nsize=2\nstride=2\n[route]\nlayers=-1,-2\n",
            r"t.cfg:14: \[route\] layers: layer 0 \(convolutional, line 5\) is 16x16 but layer 1 "
            r"\(maxpool, line 10\) is 8x8",
        ),
        (
            NET + CONV + CONV.replace("filters=4", "filters=8") + "[shortcut]\nfrom=-2\n",
            r"t.cfg:16: \[shortcut\] from: layer 0 \(convolutional, line 5\) has shape "
            r"\(4, 16, 16\) but layer 1 \(convolutional, line 10\) has \(8, 16, 16\)",
        ),
        (
            NET + CONV + "[region]\nclasses=1\nnum=1\n",
            r"t.cfg:10: \[region\] input has 4 channels "
            r"but num\*\(coords\+1\+classes\).* = 6",
        ),
        (
            "[convolutional]\nfilters=1\n",
            r"t.cfg:1: \[convolutional\] the first section must be "
            r"\[net\]",
        ),
        ("# nothing here\n", r"t.cfg:1: no sections found"),
        (NET + "filters 3\n", r"t.cfg:5: expected 'key=value' or '\[section\]', got 'filters 3'"),
        (
            NET + "[convolutional]\nsize=3\nsize=1\n",
            r"t.cfg:7: \[convolutional\] duplicate key "
            r"'size' \(first set on line 6\)",
        ),
        (NET + CONV + "dilation=2\n", r"t.cfg:10: \[convolutional\] dilation=2 is not supported"),
        (NET + "[maxpool]\nsize=2\nstride=0\n", r"t.cfg:7: \[maxpool\] stride must be positive"),
        (NET, r"t.cfg:1: \[net\] the cfg has no layers after \[net\]"),
        (
            NET + CONV.replace("size=3", "size=40").replace("pad=1", "pad=0"),
            r"t.cfg:5: \[convolutional\] size 40 with padding 0 does not fit the 16x16 input",
        ),
    ],
)
def test_errors_name_file_line_and_reason(text, message):
    with pytest.raises(DarknetError, match=message) as info:
        build(text)
    assert "\n" not in str(info.value)


def test_unknown_keys_are_reported_once_and_not_fatal(caplog):
    with caplog.at_level(logging.WARNING):
        network = build(NET + "momentum=0.9\nfoo=1\n" + CONV + "bar=2\n")
    assert network.unknown_keys == ["t.cfg:6: [net] foo", "t.cfg:12: [convolutional] bar"]
    warnings = [r for r in caplog.records if "unknown cfg key" in r.getMessage()]
    assert len(warnings) == 1


def test_whitespace_and_comments_follow_darknet():
    network = build(
        "[net]\n w i d t h = 16 \nheight=16 # inline\n; comment\nchannels=3\n"
        "[conv]\nfilters = 4\nsize=1\nactivation=linear\n"
    )
    assert network.net.width == 16 and network.layers[0].out_shape == (4, 16, 16)
