"""Turn raw cfg sections into typed, shape-checked layers (Darknet's parse_network_cfg)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from qnnflow.errors import DarknetError
from qnnflow.frontend.darknet.cfg_reader import Section, read_cfg
from qnnflow.frontend.darknet.known_keys import IGNORED, UNSUPPORTED_UNLESS_DEFAULT
from qnnflow.frontend.darknet.layers import (
    ConvLayer,
    DarknetNetwork,
    Layer,
    MaxPoolLayer,
    NetSpec,
    RegionLayer,
    RouteLayer,
    Shape,
    ShortcutLayer,
    UpsampleLayer,
    YoloLayer,
)

log = logging.getLogger(__name__)

ACTIVATIONS = ("linear", "leaky", "relu", "logistic")
ALIASES = {"conv": "convolutional", "max": "maxpool", "network": "net"}


def _activation(sec: Section, default: str) -> str:
    act = sec.get_str("activation", default)
    if act not in ACTIVATIONS:
        raise sec.error(
            f"activation: '{act}' is not supported (supported: {', '.join(ACTIVATIONS)})",
            "activation",
        )
    return act


def _positive(sec: Section, key: str, value: int) -> int:
    if value <= 0:
        raise sec.error(f"{key} must be positive, got {value}", key)
    return value


def _non_negative(sec: Section, key: str, value: int) -> int:
    if value < 0:
        raise sec.error(f"{key} must be >= 0, got {value}", key)
    return value


def _flag(sec: Section, key: str) -> bool:
    value = sec.get_int(key, 0)
    if value not in (0, 1):
        raise sec.error(f"{key} must be 0 or 1, got {value}", key)
    return bool(value)


def _resolve_index(sec: Section, key: str, ref: int, index: int) -> int:
    resolved = index + ref if ref < 0 else ref
    if not 0 <= resolved < index:
        raise sec.error(f"{key}: layer {ref} resolves to {resolved}, outside 0..{index - 1}", key)
    return resolved


def _parse_conv(sec: Section, index: int, shape: Shape, prev: list[Layer]) -> ConvLayer:
    c, h, w = shape
    filters = _positive(sec, "filters", sec.get_int("filters", 1))
    size = _positive(sec, "size", sec.get_int("size", 1))
    stride = _positive(sec, "stride", sec.get_int("stride", 1))
    for key in ("stride_x", "stride_y"):
        if sec.has(key) and sec.get_int(key) != stride:
            raise sec.error(f"{key} different from stride is not supported", key)
    padding = sec.get_int("padding", 0)  # read even when pad=1 overrides it, as Darknet does
    padding = size // 2 if sec.get_int("pad", 0) else padding
    if padding < 0:
        raise sec.error(f"padding must be >= 0, got {padding}", "padding")
    groups = _positive(sec, "groups", sec.get_int("groups", 1))
    if c % groups or filters % groups:
        raise sec.error(
            f"groups={groups} must divide the input channels ({c}) and filters ({filters})",
            "groups",
        )
    out_h = (h + 2 * padding - size) // stride + 1
    out_w = (w + 2 * padding - size) // stride + 1
    if out_h <= 0 or out_w <= 0:
        raise sec.error(f"size {size} with padding {padding} does not fit the {h}x{w} input")
    return ConvLayer(
        index=index,
        line=sec.line,
        in_shape=shape,
        out_shape=(filters, out_h, out_w),
        filters=filters,
        size=size,
        stride=stride,
        padding=padding,
        groups=groups,
        batch_normalize=_flag(sec, "batch_normalize"),
        activation=_activation(sec, "logistic"),
        binary=_flag(sec, "binary"),
        xnor=_flag(sec, "xnor"),
    )


def _parse_maxpool(sec: Section, index: int, shape: Shape, prev: list[Layer]) -> MaxPoolLayer:
    c, h, w = shape
    stride = _positive(sec, "stride", sec.get_int("stride", 1))
    size = _positive(sec, "size", sec.get_int("size", stride))
    for key in ("stride_x", "stride_y"):
        if sec.has(key) and sec.get_int(key) != stride:
            raise sec.error(f"{key} different from stride is not supported", key)
    padding = sec.get_int("padding", size - 1)
    if padding < 0:
        raise sec.error(f"padding must be >= 0, got {padding}", "padding")
    out_h = (h + padding - size) // stride + 1
    out_w = (w + padding - size) // stride + 1
    if out_h <= 0 or out_w <= 0:
        raise sec.error(f"size {size} with padding {padding} does not fit the {h}x{w} input")
    return MaxPoolLayer(
        index=index,
        line=sec.line,
        in_shape=shape,
        out_shape=(c, out_h, out_w),
        size=size,
        stride=stride,
        padding=padding,
    )


def _parse_route(sec: Section, index: int, shape: Shape, prev: list[Layer]) -> RouteLayer:
    refs = sec.get_int_list("layers")
    if not refs:
        raise sec.error("layers: at least one layer is required", "layers")
    sources = [_resolve_index(sec, "layers", r, index) for r in refs]
    groups = _positive(sec, "groups", sec.get_int("groups", 1))
    group_id = sec.get_int("group_id", 0)
    if not 0 <= group_id < groups:
        raise sec.error(f"group_id must be in 0..{groups - 1}, got {group_id}", "group_id")
    first = prev[sources[0]].out_shape
    channels = 0
    for src in sources:
        c, h, w = prev[src].out_shape
        if (h, w) != first[1:]:
            raise sec.error(
                f"layers: {prev[src].describe()} is {h}x{w} but "
                f"{prev[sources[0]].describe()} is {first[1]}x{first[2]}; route needs equal sizes",
                "layers",
            )
        if c % groups:
            raise sec.error(
                f"groups={groups} does not divide the {c} channels of {prev[src].describe()}",
                "groups",
            )
        channels += c // groups
    return RouteLayer(
        index=index,
        line=sec.line,
        in_shape=shape,
        out_shape=(channels, first[1], first[2]),
        sources=sources,
        groups=groups,
        group_id=group_id,
    )


def _parse_upsample(sec: Section, index: int, shape: Shape, prev: list[Layer]) -> UpsampleLayer:
    c, h, w = shape
    stride = sec.get_int("stride", 2)
    if stride <= 0:
        raise sec.error(f"stride must be positive (down-sampling is not supported), got {stride}")
    return UpsampleLayer(
        index=index,
        line=sec.line,
        in_shape=shape,
        out_shape=(c, h * stride, w * stride),
        stride=stride,
        scale=sec.get_float("scale", 1.0),
    )


def _parse_shortcut(sec: Section, index: int, shape: Shape, prev: list[Layer]) -> ShortcutLayer:
    refs = sec.get_int_list("from")
    if len(refs) != 1:
        raise sec.error("from: exactly one layer is supported", "from")
    source = _resolve_index(sec, "from", refs[0], index)
    if prev[source].out_shape != shape:
        raise sec.error(
            f"from: {prev[source].describe()} has shape {prev[source].out_shape} but "
            f"{prev[index - 1].describe()} has {shape}; shortcut needs equal shapes",
            "from",
        )
    return ShortcutLayer(
        index=index,
        line=sec.line,
        in_shape=shape,
        out_shape=shape,
        source=source,
        activation=_activation(sec, "linear"),
    )


def _anchors(sec: Section, num: int, shape: Shape) -> list[float]:
    """`anchors=` (2*num values), or Darknet's default 0.5 each; the default is only built
    for a `num` the input could hold (one channel per anchor at least)."""
    if sec.raw("anchors"):
        anchors = sec.get_float_list("anchors")
    elif num > shape[0]:
        raise sec.error(
            f"num={num} anchors with default values cannot fit a {shape[0]}-channel "
            "input; give anchors=",
            "num",
        )
    else:
        anchors = [0.5] * (2 * num)
    if len(anchors) != 2 * num:
        raise sec.error(f"anchors: {len(anchors)} values for num={num} (need {2 * num})", "anchors")
    return anchors


def _parse_region(sec: Section, index: int, shape: Shape, prev: list[Layer]) -> RegionLayer:
    num = _positive(sec, "num", sec.get_int("num", 1))
    classes = _non_negative(sec, "classes", sec.get_int("classes", 20))
    coords = _non_negative(sec, "coords", sec.get_int("coords", 4))
    expected = num * (coords + 1 + classes)
    if shape[0] != expected:
        raise sec.error(
            f"input has {shape[0]} channels but num*(coords+1+classes) = {num}*({coords}+1+"
            f"{classes}) = {expected}; set the previous conv's filters={expected}"
        )
    return RegionLayer(
        index=index,
        line=sec.line,
        in_shape=shape,
        out_shape=shape,
        anchors=_anchors(sec, num, shape),
        classes=classes,
        coords=coords,
        num=num,
        softmax=_flag(sec, "softmax"),
    )


def _parse_yolo(sec: Section, index: int, shape: Shape, prev: list[Layer]) -> YoloLayer:
    num = _positive(sec, "num", sec.get_int("num", 1))
    classes = _non_negative(sec, "classes", sec.get_int("classes", 20))
    if sec.raw("mask"):
        mask = sec.get_int_list("mask")
    elif num > shape[0]:
        raise sec.error(
            f"num={num} anchors (all used, no mask=) cannot fit a {shape[0]}-channel input", "num"
        )
    else:
        mask = list(range(num))
    if any(not 0 <= m < num for m in mask):
        raise sec.error(f"mask: every entry must be in 0..{num - 1}, got {mask}", "mask")
    expected = len(mask) * (classes + 5)
    if shape[0] != expected:
        raise sec.error(
            f"input has {shape[0]} channels but len(mask)*(classes+5) = {len(mask)}*"
            f"({classes}+5) = {expected}; set the previous conv's filters={expected}"
        )
    return YoloLayer(
        index=index,
        line=sec.line,
        in_shape=shape,
        out_shape=shape,
        anchors=_anchors(sec, num, shape),
        mask=mask,
        classes=classes,
        num=num,
        scale_x_y=sec.get_float("scale_x_y", 1.0),
    )


PARSERS: dict[str, Callable[[Section, int, Shape, list[Layer]], Layer]] = {
    "convolutional": _parse_conv,
    "maxpool": _parse_maxpool,
    "route": _parse_route,
    "upsample": _parse_upsample,
    "shortcut": _parse_shortcut,
    "region": _parse_region,
    "yolo": _parse_yolo,
}


def _check_unsupported(sec: Section) -> None:
    for key, default in UNSUPPORTED_UNLESS_DEFAULT.get(sec.name, {}).items():
        value = sec.raw(key)
        if value is not None and (default is None or value.lower() != default):
            raise sec.error(f"{key}={value} is not supported by qnnflow's importer", key)


def _check_size(sec: Section, what: str, shape: Shape) -> None:
    if shape[0] * shape[1] * shape[2] >= 2**31:  # Darknet counts a tensor's values in a C int
        raise sec.error(f"{what} {shape} has more values than Darknet's 32-bit int holds")


def _parse_net(sec: Section, input_size: tuple[int, int] | None) -> NetSpec:
    channels = _positive(sec, "channels", sec.get_int("channels", 3))
    height = sec.get_int("height", 0)
    width = sec.get_int("width", 0)
    if input_size is not None:
        height, width = input_size
        if height <= 0 or width <= 0:
            raise DarknetError(f"input size must be positive, got {height}x{width}")
    if height <= 0 or width <= 0:
        raise sec.error(f"width and height must be positive, got {width}x{height}", "width")
    return NetSpec(width=width, height=height, channels=channels, line=sec.line)


def build_network(
    sections: list[Section], input_size: tuple[int, int] | None = None
) -> DarknetNetwork:
    """Check every section and infer shapes; `input_size` (H, W) overrides [net]."""
    head = sections[0]
    path = head.path
    for sec in sections:
        sec.name = ALIASES.get(sec.name, sec.name)
    if head.name != "net":
        raise head.error("the first section must be [net] (or [network])")
    net = _parse_net(head, input_size)
    shape: Shape = (net.channels, net.height, net.width)
    _check_size(head, "input", shape)
    layers: list[Layer] = []
    for index, sec in enumerate(sections[1:]):
        if sec.name not in PARSERS:
            supported = ", ".join(f"[{name}]" for name in PARSERS)
            raise sec.error(f"unknown or unsupported section (supported: {supported})")
        _check_unsupported(sec)
        layer = PARSERS[sec.name](sec, index, shape, layers)
        _check_size(sec, "output", layer.out_shape)
        layers.append(layer)
        shape = layer.out_shape
    if not layers:
        raise head.error("the cfg has no layers after [net]")
    unknown = []
    for sec in sections:
        for key in sec.unused_keys():
            if key.lower() not in IGNORED.get(sec.name, set()):
                unknown.append(f"{path}:{sec.options[key].line}: [{sec.name}] {key}")
    if unknown:
        log.warning("ignored %d unknown cfg key(s): %s", len(unknown), "; ".join(unknown))
    return DarknetNetwork(path=path, net=net, layers=layers, unknown_keys=unknown)


def load_network(cfg_path: str | Path, input_size: tuple[int, int] | None = None) -> DarknetNetwork:
    """Read, check and shape-infer a cfg file."""
    return build_network(read_cfg(cfg_path), input_size)
