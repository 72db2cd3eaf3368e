"""Typed Darknet layers with their input/output shapes (C, H, W), as Darknet computes them."""

from __future__ import annotations

from dataclasses import dataclass, field

Shape = tuple[int, int, int]  # (channels, height, width)


@dataclass
class Layer:
    """Fields every layer has; `index` counts layers after [net], as Darknet does."""

    index: int
    line: int
    in_shape: Shape
    out_shape: Shape

    kind = "layer"

    def describe(self) -> str:
        return f"layer {self.index} ({self.kind}, line {self.line})"


@dataclass
class ConvLayer(Layer):
    filters: int = 0
    size: int = 1
    stride: int = 1
    padding: int = 0
    groups: int = 1
    batch_normalize: bool = False
    activation: str = "logistic"
    binary: bool = False
    xnor: bool = False

    kind = "convolutional"

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.filters, self.in_shape[0] // self.groups, self.size, self.size)

    @property
    def num_weight_floats(self) -> int:
        n = self.filters
        per_layer = n * (4 if self.batch_normalize else 1)
        o, i, kh, kw = self.weight_shape
        return per_layer + o * i * kh * kw


@dataclass
class MaxPoolLayer(Layer):
    size: int = 2
    stride: int = 2
    padding: int = 1

    kind = "maxpool"

    @property
    def pads(self) -> tuple[int, int, int, int]:
        """ONNX pads (top, left, bottom, right) that reproduce Darknet's window placement."""
        begin = self.padding // 2
        _, out_h, out_w = self.out_shape
        _, in_h, in_w = self.in_shape
        end_h = max(0, (out_h - 1) * self.stride + self.size - in_h - begin)
        end_w = max(0, (out_w - 1) * self.stride + self.size - in_w - begin)
        return (begin, begin, end_h, end_w)


@dataclass
class RouteLayer(Layer):
    sources: list[int] = field(default_factory=list)
    groups: int = 1
    group_id: int = 0

    kind = "route"


@dataclass
class UpsampleLayer(Layer):
    stride: int = 2
    scale: float = 1.0

    kind = "upsample"


@dataclass
class ShortcutLayer(Layer):
    source: int = -1
    activation: str = "linear"

    kind = "shortcut"


@dataclass
class RegionLayer(Layer):
    """YOLOv2 head: anchors are in grid cells."""

    anchors: list[float] = field(default_factory=list)
    classes: int = 20
    coords: int = 4
    num: int = 5
    softmax: bool = True

    kind = "region"


@dataclass
class YoloLayer(Layer):
    """YOLOv3 head: anchors are in input pixels, `mask` picks this head's anchors."""

    anchors: list[float] = field(default_factory=list)
    mask: list[int] = field(default_factory=list)
    classes: int = 80
    num: int = 9
    scale_x_y: float = 1.0

    kind = "yolo"


@dataclass
class NetSpec:
    width: int
    height: int
    channels: int
    line: int


@dataclass
class DarknetNetwork:
    """A parsed, shape-checked cfg: what the weights reader and the converter consume."""

    path: str
    net: NetSpec
    layers: list[Layer]
    unknown_keys: list[str] = field(default_factory=list)

    @property
    def conv_layers(self) -> list[ConvLayer]:
        return [layer for layer in self.layers if isinstance(layer, ConvLayer)]

    @property
    def heads(self) -> list[Layer]:
        return [layer for layer in self.layers if isinstance(layer, (RegionLayer, YoloLayer))]
