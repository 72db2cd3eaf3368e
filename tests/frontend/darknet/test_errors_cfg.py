"""Concrete malformed and unsupported cfgs: each gives exactly one DarknetError whose message
is `file:line: [section] what`, pointing at the offending line."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from qnnflow.errors import DarknetError, QnnflowError
from qnnflow.frontend.darknet.cfg_reader import parse_cfg_text
from qnnflow.frontend.darknet.parse_network import build_network, load_network

NET = "[net]\nwidth=16\nheight=16\nchannels=3\n"  # lines 1-4
CONV = "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=relu\n"  # 5 lines
SUPPORTED_SECTIONS = "[convolutional], [maxpool], [route], [upsample], [shortcut], [region], [yolo]"
PARSE_NETWORK_LOG = "qnnflow.frontend.darknet.parse_network"


def build(text: str, input_size: tuple[int, int] | None = None):
    return build_network(parse_cfg_text(text, "t.cfg"), input_size)


def error_of(text: str, input_size: tuple[int, int] | None = None) -> str:
    with pytest.raises(DarknetError) as info:
        build(text, input_size)
    message = str(info.value)
    assert "\n" not in message and isinstance(info.value, QnnflowError)
    return message


CASES = {
    "non-integer value": (
        NET + "[convolutional]\nsize=3\nfilters=abc\n",
        "t.cfg:7: [convolutional] filters: expected an integer, got 'abc'",
    ),
    "non-number float": (
        NET + CONV + "[upsample]\nscale=big\n",
        "t.cfg:11: [upsample] scale: expected a number, got 'big'",
    ),
    "unknown section": (
        NET + CONV + "[foo]\nx=1\n",
        f"t.cfg:10: [foo] unknown or unsupported section (supported: {SUPPORTED_SECTIONS})",
    ),
    "unsupported activation": (
        NET + CONV.replace("relu", "mish"),
        "t.cfg:9: [convolutional] activation: 'mish' is not supported "
        "(supported: linear, leaky, relu, logistic)",
    ),
    "route to a layer ahead": (
        NET + CONV + "[route]\nlayers=1\n",
        "t.cfg:11: [route] layers: layer 1 resolves to 1, outside 0..0",
    ),
    "route far ahead": (
        NET + CONV + CONV + "[route]\nlayers=-1,7\n",
        "t.cfg:16: [route] layers: layer 7 resolves to 7, outside 0..1",
    ),
    "route before the first layer": (
        NET + CONV + "[route]\nlayers=-2\n",
        "t.cfg:11: [route] layers: layer -2 resolves to -1, outside 0..0",
    ),
    "route with an empty list": (
        NET + CONV + "[route]\nlayers=\n",
        "t.cfg:11: [route] missing required key 'layers'",
    ),
    "route without layers": (
        NET + CONV + "[route]\ngroups=1\n",
        "t.cfg:10: [route] missing required key 'layers'",
    ),
    "route of different sizes": (
        NET + CONV + "[maxpool]\nsize=2\nstride=2\n[route]\nlayers=-2,-1\n",
        "t.cfg:14: [route] layers: layer 1 (maxpool, line 10) is 8x8 but layer 0 "
        "(convolutional, line 5) is 16x16; route needs equal sizes",
    ),
    "shortcut shape mismatch": (
        NET + CONV + CONV.replace("filters=4", "filters=8") + "[shortcut]\nfrom=-2\n",
        "t.cfg:16: [shortcut] from: layer 0 (convolutional, line 5) has shape (4, 16, 16) "
        "but layer 1 (convolutional, line 10) has (8, 16, 16); shortcut needs equal shapes",
    ),
    "shortcut from two layers": (
        NET + CONV + CONV + "[shortcut]\nfrom=-1,-2\n",
        "t.cfg:16: [shortcut] from: exactly one layer is supported",
    ),
    "region after a conv with the wrong filters": (
        NET + CONV + "[region]\nclasses=2\ncoords=4\nnum=3\n",
        "t.cfg:10: [region] input has 4 channels but num*(coords+1+classes) = 3*(4+1+2) = 21; "
        "set the previous conv's filters=21",
    ),
    "yolo after a conv with the wrong filters": (
        NET + CONV + "[yolo]\nclasses=1\nnum=6\nmask=3,4,5\n",
        "t.cfg:10: [yolo] input has 4 channels but len(mask)*(classes+5) = 3*(1+5) = 18; "
        "set the previous conv's filters=18",
    ),
    "region anchors count": (
        NET + CONV.replace("filters=4", "filters=12") + "[region]\nclasses=1\nnum=2\nanchors=1,2\n",
        "t.cfg:13: [region] anchors: 2 values for num=2 (need 4)",
    ),
    "yolo mask out of range": (
        NET + CONV.replace("filters=4", "filters=6") + "[yolo]\nclasses=1\nnum=2\nmask=2\n",
        "t.cfg:13: [yolo] mask: every entry must be in 0..1, got [2]",
    ),
    "missing [net]": (
        CONV + NET,
        "t.cfg:1: [convolutional] the first section must be [net] (or [network])",
    ),
    "[net] without layers": (NET, "t.cfg:1: [net] the cfg has no layers after [net]"),
    "empty file": ("", "t.cfg:1: no sections found (expected [net] followed by layers)"),
    "only comments": (
        "# a comment\n\n; another\n   \n",
        "t.cfg:1: no sections found (expected [net] followed by layers)",
    ),
    "line without '='": (
        NET + "[convolutional]\nfilters 4\n",
        "t.cfg:6: expected 'key=value' or '[section]', got 'filters 4'",
    ),
    "option before any section": ("width=3\n" + NET, "t.cfg:1: option before the first [section]"),
    "malformed header": (
        NET + "[convolutional\n",
        "t.cfg:5: malformed section header '[convolutional'",
    ),
    "empty header": (NET + "[]\n", "t.cfg:5: malformed section header '[]'"),
    "empty key": (NET + "=4\n", "t.cfg:5: empty key in '=4'"),
    "duplicate key": (
        NET + "[convolutional]\nsize=3\nfilters=2\nsize=1\n",
        "t.cfg:8: [convolutional] duplicate key 'size' (first set on line 6)",
    ),
    "dilation": (
        NET + CONV + "dilation=2\n",
        "t.cfg:10: [convolutional] dilation=2 is not supported by qnnflow's importer",
    ),
    "maxpool out_channels": (
        NET + "[maxpool]\nsize=2\nout_channels=3\n",
        "t.cfg:7: [maxpool] out_channels=3 is not supported by qnnflow's importer",
    ),
    "weighted shortcut": (
        NET + CONV + CONV + "[shortcut]\nfrom=-2\nweights_type=per_feature\n",
        "t.cfg:17: [shortcut] weights_type=per_feature is not supported by qnnflow's importer",
    ),
    "stride_x differs": (
        NET + CONV + "stride_x=2\n",
        "t.cfg:10: [convolutional] stride_x different from stride is not supported",
    ),
    "zero filters": (
        NET + CONV.replace("filters=4", "filters=0"),
        "t.cfg:6: [convolutional] filters must be positive, got 0",
    ),
    "negative size": (
        NET + "[maxpool]\nsize=-2\nstride=1\n",
        "t.cfg:6: [maxpool] size must be positive, got -2",
    ),
    "negative padding": (
        NET + "[maxpool]\nsize=2\nstride=2\npadding=-1\n",
        "t.cfg:8: [maxpool] padding must be >= 0, got -1",
    ),
    "kernel larger than the input": (
        NET + CONV.replace("size=3", "size=20").replace("pad=1", "pad=0"),
        "t.cfg:5: [convolutional] size 20 with padding 0 does not fit the 16x16 input",
    ),
    "flag not 0/1": (
        NET + CONV + "batch_normalize=2\n",
        "t.cfg:10: [convolutional] batch_normalize must be 0 or 1, got 2",
    ),
    "groups do not divide": (
        NET + CONV + "groups=2\n",
        "t.cfg:10: [convolutional] groups=2 must divide the input channels (3) and filters (4)",
    ),
    "zero-sized input": (
        "[net]\nwidth=0\nheight=16\n" + CONV,
        "t.cfg:2: [net] width and height must be positive, got 0x16",
    ),
    "negative upsample": (
        NET + "[upsample]\nstride=-2\n",
        "t.cfg:5: [upsample] stride must be positive (down-sampling is not supported), got -2",
    ),
    "integer beyond 32 bits": (
        NET + CONV.replace("size=3", "size=4294967299"),
        "t.cfg:7: [convolutional] size: 4294967299 does not fit in a 32-bit integer",
    ),
    "tensor beyond Darknet's int": (
        NET + "[upsample]\nstride=20000\n",
        "t.cfg:5: [upsample] output (3, 320000, 320000) has more values than Darknet's 32-bit "
        "int holds",
    ),
}


@pytest.mark.parametrize("text,message", CASES.values(), ids=CASES.keys())
def test_error_names_file_line_and_reason(text, message):
    assert error_of(text) == message


def test_a_file_error_names_the_real_path_and_line(tmp_path):
    cfg = tmp_path / "model.cfg"
    cfg.write_text(NET + CONV.replace("relu", "swish"))
    with pytest.raises(DarknetError) as info:
        load_network(cfg)
    assert str(info.value).startswith(f"{cfg}:9: [convolutional] activation: 'swish'")
    assert (info.value.path, info.value.line) == (str(cfg), 9)


def test_crlf_line_endings_keep_line_numbers():
    text = (NET + "[convolutional]\nsize=3\nfilters=x\n").replace("\n", "\r\n")
    assert error_of(text) == "t.cfg:7: [convolutional] filters: expected an integer, got 'x'"


def test_unreadable_and_binary_cfg_files(tmp_path):
    with pytest.raises(DarknetError, match=r"missing\.cfg: cannot read cfg: No such file"):
        load_network(tmp_path / "missing.cfg")
    binary = tmp_path / "binary.cfg"
    binary.write_bytes(b"[net]\nwidth=\xff\xfe\n")
    with pytest.raises(DarknetError) as info:
        load_network(binary)
    assert str(info.value) == f"{binary}: not a text file (byte 12 is not UTF-8)"


def test_input_size_override_must_be_positive():
    assert error_of(NET + CONV, (0, 16)) == "input size must be positive, got 0x16"
    assert build(NET + CONV, (8, 24)).layers[0].out_shape == (4, 8, 24)


def test_unknown_keys_warn_once_and_are_not_fatal(caplog):
    text = NET + "momentum=0.9\nfoo=1\n" + CONV + "bar=2\nlearning_rate=1\n[maxpool]\nbaz=3\n"
    with caplog.at_level(logging.WARNING, logger=PARSE_NETWORK_LOG):
        network = build(text)
    assert [layer.kind for layer in network.layers] == ["convolutional", "maxpool"]
    assert network.unknown_keys == [
        "t.cfg:6: [net] foo",
        "t.cfg:12: [convolutional] bar",
        "t.cfg:15: [maxpool] baz",
    ]
    records = [r for r in caplog.records if r.name == PARSE_NETWORK_LOG]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert records[0].getMessage() == (
        "ignored 3 unknown cfg key(s): t.cfg:6: [net] foo; t.cfg:12: [convolutional] bar; "
        "t.cfg:15: [maxpool] baz"
    )


def test_known_keys_do_not_warn(caplog):
    text = NET + "batch=64\nsubdivisions=8\n" + CONV + "padding=3\nstopbackward=1\n"
    with caplog.at_level(logging.WARNING, logger=PARSE_NETWORK_LOG):
        network = build(text)
    assert network.unknown_keys == [] and caplog.records == []
    assert network.layers[0].padding == 1  # pad=1 wins over padding=, as in Darknet


@pytest.mark.parametrize("extra", ["dilation=1", "antialiasing=0", "coordconv=0"])
def test_unsupported_keys_at_their_default_are_accepted(extra):
    assert build(NET + CONV + extra + "\n").layers[0].out_shape == (4, 16, 16)


def test_default_valued_weighted_shortcut_is_accepted():
    network = build(NET + CONV + CONV + "[shortcut]\nfrom=-2\nweights_type=NONE\n")
    assert network.layers[-1].source == 0


HUGE_NUM_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))  # 1 GiB: fail fast, never swap
from qnnflow.errors import DarknetError
from qnnflow.frontend.darknet.cfg_reader import parse_cfg_text
from qnnflow.frontend.darknet.parse_network import build_network
try:
    build_network(parse_cfg_text(sys.argv[1], "t.cfg"))
except DarknetError as exc:
    print("DarknetError:", exc)
except MemoryError:
    print("MemoryError")
"""


@pytest.mark.parametrize(
    "head", ["[region]\nclasses=0\nnum=2147483647\n", "[yolo]\nclasses=0\nnum=2147483647\nmask=0\n"]
)
def test_huge_anchor_count_is_refused_without_allocating(head):
    text = NET + CONV.replace("filters=4", "filters=5").replace("size=3", "size=1") + head
    proc = subprocess.run(
        [sys.executable, "-c", HUGE_NUM_CHILD, text], capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.startswith("DarknetError: t.cfg:"), proc.stdout + proc.stderr
