"""Property tests for the Darknet cfg importer: random, mutated and truncated cfgs either
import cleanly (a checked ONNX model with the importer's shapes, run by onnxruntime when small)
or raise one DarknetError of the form `fuzz.cfg:<line>: what`, never any other exception."""

from __future__ import annotations

import functools
import json
import math
import re

import numpy as np
import onnx
import onnxruntime as ort
from hypothesis import HealthCheck, currently_in_test_context, event, given, seed, settings
from hypothesis import strategies as st

from qnnflow.errors import DarknetError
from qnnflow.frontend.darknet.cfg_reader import parse_cfg_text
from qnnflow.frontend.darknet.layers import DarknetNetwork
from qnnflow.frontend.darknet.parse_network import build_network
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.frontend.darknet.to_onnx import LAYERS_KEY, network_to_onnx
from tests.conftest import DEFAULT_CFG, REPO_ROOT, TINIER_YOLO_DIR

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,  # with the @seed on each test: the same examples on every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MAX_WEIGHT_FLOATS = 500_000  # convert to ONNX only below this (random weights cost time)
MAX_RUN_ELEMENTS = 300_000  # also run onnxruntime when every activation is this small
ERROR_RE = re.compile(r"^fuzz\.cfg:(\d+): \S")

# --- value strategies: mostly plausible, sometimes invalid or extreme ---------------------

HUGE = st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 10**20, 2**63, -(10**12)])
GARBAGE = st.sampled_from(
    ["", "abc", "1.5", "3x", "0x10", "1e3", "--1", "nan", "inf", "1,,2", ",", "x,1", "\u0663"]
)


def number(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(str)


def noisy(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Usually `valid`; now and then a small/negative, huge or non-integer value."""
    odd = [st.integers(-3, 12).map(str), HUGE.map(str), GARBAGE]
    return st.one_of(*[valid] * 8, *odd)


def layer_refs(max_size: int) -> st.SearchStrategy[str]:
    """Route/shortcut references: mostly relative (-1, -2, -3), sometimes absolute."""
    ref = st.one_of(st.integers(-3, -1), st.integers(-3, -1), st.integers(-5, 5))
    return st.lists(ref.map(str), min_size=1, max_size=max_size).map(",".join)


def float_list(count: int) -> st.SearchStrategy[str]:
    value = st.floats(0.1, 20.0).map(lambda f: f"{f:.3f}")
    return st.lists(value, min_size=count, max_size=count).map(",".join)


SECTION_KEYS: dict[str, dict[str, st.SearchStrategy[str]]] = {
    "convolutional": {
        "batch_normalize": number(0, 1),
        "filters": number(1, 8),
        "size": number(1, 3),
        "stride": number(1, 2),
        "pad": number(0, 1),
        "padding": number(0, 2),
        "groups": st.sampled_from(["1", "1", "1", "2"]),
        "activation": st.sampled_from(["linear", "leaky", "relu", "logistic"]),
        "binary": number(0, 1),
        "xnor": number(0, 1),
    },
    "maxpool": {
        "size": number(1, 3),
        "stride": number(1, 3),
        "padding": number(0, 3),
    },
    "route": {"layers": layer_refs(3), "groups": number(1, 2), "group_id": number(0, 1)},
    "upsample": {"stride": number(1, 3), "scale": st.sampled_from(["1", "0.5", "2", "-1"])},
    "shortcut": {
        "from": layer_refs(1),
        "activation": st.sampled_from(["linear", "leaky", "relu", "logistic"]),
    },
}
LAYER_NAMES = [*SECTION_KEYS, "conv", "max", "Convolutional"]
ODD_NAMES = ["avgpool", "dropout", "foo", "net", "region", "yolo"]
SECTION_NAMES = st.one_of(*[st.sampled_from(LAYER_NAMES)] * 12, st.sampled_from(ODD_NAMES))
ODD_VALUES = st.one_of(HUGE.map(str), GARBAGE, st.sampled_from(["mish", "swish", "LEAKY"]))
REQUIRED = {"route": "layers", "shortcut": "from"}
EXTRA_KEYS = st.sampled_from(  # unknown, ignored, refused-unless-default, or duplicate keys
    [
        "foo",
        "bar",
        "learning_rate",
        "stopbackward",
        "dilation",
        "stride_x",
        "stride_y",
        "maxpool_depth",
        "flipped",
        "filters",
        "size",
        "from",
        "layers",
    ]
)
JUNK_LINES = st.sampled_from(
    ["garbage", "[", "[]", "=5", "key=", "# comment", "; comment", "\x00", "[net", "a b = 1 # c"]
)


@st.composite
def layer_section(draw, odd: bool) -> list[str]:
    """One layer section: a random subset of its keys; with `odd`, odd values and keys too."""
    name = draw(SECTION_NAMES if odd else st.sampled_from(LAYER_NAMES))
    kind = {"conv": "convolutional", "max": "maxpool"}.get(name.lower(), name.lower())
    keys = SECTION_KEYS.get(kind, SECTION_KEYS["convolutional"])  # odd sections: conv keys
    lines = [f"[{name}]"]
    chosen = draw(st.lists(st.sampled_from(sorted(keys)), unique=True, max_size=len(keys)))
    if kind in REQUIRED and (not odd or draw(st.integers(0, 9))):
        chosen = [REQUIRED[kind], *(k for k in chosen if k != REQUIRED[kind])]
    for key in chosen:
        value = draw(noisy(keys[key]) if odd else keys[key])
        if odd and draw(st.integers(0, 9)) == 0:
            value = draw(ODD_VALUES)
        lines.append(f"{key}={value}")
    if odd and draw(st.integers(0, 3)) == 0:
        lines.append(f"{draw(EXTRA_KEYS)}={draw(noisy(number(-1, 3)))}")
    return lines


@st.composite
def head_sections(draw, odd: bool) -> list[str]:
    """A conv sized (usually) for a region or yolo head, then the head itself."""
    classes = draw(st.integers(0, 3))
    num = draw(st.integers(1, 4))
    if draw(st.booleans()):
        coords = draw(st.sampled_from([4, 4, 4, 0]))
        expected = num * (coords + 1 + classes)
        head = ["[region]", f"classes={classes}", f"coords={coords}", f"num={num}"]
        head.append(f"softmax={draw(noisy(number(0, 1)) if odd else number(0, 1))}")
    else:
        mask = draw(
            st.lists(
                st.integers(-1 if odd else 0, num - 1 + odd), min_size=1, max_size=num, unique=True
            )
        )
        expected = len(mask) * (classes + 5)
        head = ["[yolo]", f"classes={classes}", f"num={num}", f"mask={','.join(map(str, mask))}"]
    if draw(st.booleans()):
        count = draw(st.sampled_from([2 * num] * 6 + [2 * num - 1, 2 * num + 2]))
        head.append(f"anchors={draw(float_list(count))}")
    delta = draw(st.sampled_from([0] * 8 + [1, -1, 5])) if odd else 0
    conv = ["[convolutional]", f"filters={max(expected + delta, 1)}", "size=1"]
    conv.append(f"activation={draw(st.sampled_from(['linear', 'logistic']))}")
    return conv + head


EXTREME = st.sampled_from([10**20, 2**63, 2**31, 2**31 - 1, -(2**31) - 1, 65536, 0, -1])
GEOMETRY = re.compile(r"(width|height|size|stride|padding)=-?\d+")


@st.composite
def random_cfg(draw) -> str:
    """A cfg of up to 7 layers: clean; clean but one integer made extreme (huge, zero,
    negative); or odd (odd values, keys, sections and lines anywhere)."""
    mode = draw(st.sampled_from(["clean", "extreme", "odd"]))
    odd = mode == "odd"
    lines = ["[net]"]
    for key, lo, hi in (("width", 1, 16), ("height", 1, 16), ("channels", 1, 4)):
        if not odd or draw(st.integers(0, 19)):
            lines.append(f"{key}={draw(noisy(number(lo, hi)) if odd else number(lo, hi))}")
    for _ in range(draw(st.integers(0 if odd else 1, 7))):
        if draw(st.integers(0, 3)) == 0:
            lines += draw(head_sections(odd))
        else:
            lines += draw(layer_section(odd))
    if mode == "extreme":
        # `num` stays small: a huge one makes the importer allocate 2*num default anchors
        # (test_errors_cfg.py::test_huge_anchor_count_is_refused_without_allocating, xfail)
        numeric = [i for i, line in enumerate(lines) if re.fullmatch(r"(?!num=)\w+=-?\d+", line)]
        geometry = [i for i in numeric if GEOMETRY.fullmatch(lines[i])]
        i = draw(st.sampled_from(geometry if geometry and draw(st.booleans()) else numeric))
        lines[i] = f"{lines[i].split('=')[0]}={draw(EXTREME)}"
    if odd:
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
            lines.insert(draw(st.integers(0, len(lines))), draw(JUNK_LINES))
    return "\n".join(lines) + "\n"


def note(label: str) -> None:
    """Count outcomes in `--hypothesis-show-statistics` (a no-op outside a property test)."""
    if currently_in_test_context():
        event(label)


# --- the property --------------------------------------------------------------------------


def _layer_shapes(model: onnx.ModelProto) -> dict[str, list[int]]:
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    graph = inferred.graph
    shapes = {}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        shapes[info.name] = [d.dim_value for d in info.type.tensor_type.shape.dim]
    return shapes


def check_converts(network: DarknetNetwork, rng_seed: int, fold_bn: bool, binary_mode: str) -> None:
    """Shapes are positive; a small network converts to a checked model with those shapes."""
    for layer in network.layers:
        assert min(layer.in_shape) > 0 and min(layer.out_shape) > 0, layer
    if sum(layer.num_weight_floats for layer in network.conv_layers) > MAX_WEIGHT_FLOATS:
        note("built, too large to convert")
        return
    model = network_to_onnx(network, random_weights(network, rng_seed), fold_bn, binary_mode)
    onnx.checker.check_model(model, full_check=True)
    shapes = _layer_shapes(model)
    records = json.loads(next(p.value for p in model.graph.metadata_props if p.key == LAYERS_KEY))
    assert len(records) == len(network.layers)
    for record, layer in zip(records, network.layers, strict=True):
        assert shapes[record["output"]] == [1, *layer.out_shape], (record, layer)
    if max(math.prod(layer.out_shape) for layer in network.layers) > MAX_RUN_ELEMENTS:
        note("converted")
        return
    note("converted and run")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    net = network.net
    x = np.random.default_rng(rng_seed).random((1, net.channels, net.height, net.width), np.float32)
    for out, info in zip(session.run(None, {"input": x}), model.graph.output, strict=True):
        assert list(out.shape) == shapes[info.name]


def import_or_error(
    text: str, rng_seed: int = 0, fold_bn: bool = False, mode: str = "float"
) -> None:
    """The property: a network that converts, or a one-line `fuzz.cfg:<line>: ` DarknetError."""
    try:
        network = build_network(parse_cfg_text(text, "fuzz.cfg"))
    except DarknetError as exc:
        message = str(exc)
        match = ERROR_RE.match(message)
        assert match and "\n" not in message, message
        assert 1 <= int(match.group(1)) <= max(1, len(text.splitlines())), message
        note("DarknetError")
        return
    check_converts(network, rng_seed, fold_bn, mode)


@FUZZ
@seed(1)
@given(random_cfg(), st.integers(0, 2**16), st.booleans(), st.sampled_from(["float", "darknet"]))
def test_random_cfgs_import_or_raise_darknet_error(text, rng_seed, fold_bn, mode):
    import_or_error(text, rng_seed, fold_bn, mode)


@functools.cache
def base_cfgs() -> tuple[str, ...]:
    paths = [DEFAULT_CFG, *sorted((REPO_ROOT / "tests/frontend/darknet/cfgs").glob("*.cfg"))]
    paths += sorted(TINIER_YOLO_DIR.glob("*.cfg")) if TINIER_YOLO_DIR.is_dir() else []
    return tuple(p.read_text() for p in paths)


def test_unmutated_base_cfgs_import():
    for text in base_cfgs():
        check_converts(build_network(parse_cfg_text(text, "fuzz.cfg")), 0, False, "float")


@st.composite
def mutated_cfg(draw) -> str:
    """A real cfg after 1-3 line edits (delete, duplicate, swap, renumber, junk), maybe cut."""
    lines = draw(st.sampled_from(base_cfgs())).splitlines()
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "number"] * 2 + ["duplicate", "swap", "junk"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(draw(st.integers(0, len(lines))), lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "number":
            new = str(draw(st.one_of(st.integers(-3, 40), st.integers(0, 3), HUGE)))
            lines[i] = re.sub(r"-?\d+", new, lines[i], count=1) if "=" in lines[i] else new
        else:
            pos = draw(st.integers(0, len(lines[i])))
            junk = draw(st.sampled_from(["x", "]", "[", "=", ",", "#", "9", "-", " ", "\t", "é"]))
            lines[i] = lines[i][:pos] + junk + lines[i][pos:]
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 3)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return text


@FUZZ
@seed(2)
@given(mutated_cfg())
def test_mutated_real_cfgs_import_or_raise_darknet_error(text):
    import_or_error(text)
