"""Property tests: random and mutated cfgs (and weights bytes) give a model or a clean
DarknetError, never any other exception."""

from __future__ import annotations

import onnx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qnnflow.errors import DarknetError
from qnnflow.frontend.darknet.cfg_reader import parse_cfg_text
from qnnflow.frontend.darknet.parse_network import build_network
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.frontend.darknet.to_onnx import network_to_onnx
from qnnflow.frontend.darknet.weights import parse_weights
from tests.conftest import DEFAULT_CFG, TINIER_YOLO_DIR

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALUES = st.one_of(
    st.integers(-3, 40).map(str),
    st.sampled_from(
        ["relu", "leaky", "linear", "logistic", "mish", "", "abc", "1.5", "-1,-2", "0,1", "2,x"]
    ),
)
KEYS = st.sampled_from(
    [
        "filters",
        "size",
        "stride",
        "pad",
        "padding",
        "groups",
        "activation",
        "batch_normalize",
        "binary",
        "xnor",
        "layers",
        "from",
        "classes",
        "num",
        "coords",
        "anchors",
        "mask",
        "softmax",
        "group_id",
        "scale",
        "dilation",
        "unknown_key",
    ]
)
SECTIONS = st.sampled_from(
    [
        "convolutional",
        "maxpool",
        "route",
        "upsample",
        "shortcut",
        "region",
        "yolo",
        "conv",
        "max",
        "avgpool",
        "net",
    ]
)


@st.composite
def random_cfg(draw) -> str:
    lines = [
        "[net]",
        f"width={draw(st.integers(-1, 24))}",
        f"height={draw(st.integers(1, 24))}",
        f"channels={draw(st.integers(0, 4))}",
    ]
    for _ in range(draw(st.integers(0, 6))):
        lines.append(f"[{draw(SECTIONS)}]")
        keys = draw(st.lists(KEYS, max_size=6, unique=True))
        lines += [f"{k}={draw(VALUES)}" for k in keys]
    if draw(st.booleans()):
        lines.insert(
            draw(st.integers(0, len(lines))),
            draw(st.sampled_from(["garbage line", "[", "=5", "[]", "# comment", "key=", "\x00"])),
        )
    return "\n".join(lines) + "\n"


def _import_or_error(text: str) -> None:
    try:
        network = build_network(parse_cfg_text(text, "fuzz.cfg"))
    except DarknetError as exc:
        assert "\n" not in str(exc)
        return
    if sum(layer.num_weight_floats for layer in network.conv_layers) > 2_000_000:
        return
    model = network_to_onnx(network, random_weights(network, seed=0))
    onnx.checker.check_model(model)
    assert all(min(layer.out_shape) > 0 for layer in network.layers)


@SETTINGS
@given(random_cfg())
def test_random_cfgs(text):
    _import_or_error(text)


def _base_texts() -> list[str]:
    texts = [DEFAULT_CFG.read_text()]
    texts += [p.read_text() for p in sorted(TINIER_YOLO_DIR.glob("*.cfg"))]
    return texts


@SETTINGS
@given(st.data())
def test_mutated_real_cfgs(data):
    lines = data.draw(st.sampled_from(_base_texts())).splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "swap", "number", "junk"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "number" and "=" in lines[i]:
            lines[i] = lines[i].split("=")[0] + "=" + str(data.draw(st.integers(-5, 9)))
        else:
            lines[i] = lines[i] + data.draw(st.sampled_from(["x", "]", "=", ",", "#", "9"]))
        if not lines:
            break
    text = "\n".join(lines)
    cut = data.draw(st.integers(0, len(text)))
    _import_or_error(text[:cut] if data.draw(st.booleans()) else text)


@SETTINGS
@given(st.binary(max_size=64), st.integers(0, 1_700_000))
def test_random_and_truncated_weights(noise, cut):
    from qnnflow.frontend.darknet import load_network

    network = load_network(DEFAULT_CFG)
    data = DEFAULT_CFG.with_suffix(".weights").read_bytes()
    for candidate in (noise, data[:cut], data[:cut] + noise):
        try:
            parse_weights(candidate, network, "fuzz.weights")
        except DarknetError as exc:
            assert "\n" not in str(exc)
