"""Convert a parsed Darknet network plus its weights into a float ONNX graph (NCHW).

Batch norm is kept as an explicit BatchNormalization node by default, with the variance
rewritten to (sqrt(var) + 1e-6)**2 and epsilon 0: the exact form of Darknet's
`(x - mean) / (sqrt(var) + .000001)`. `fold_bn=True` folds it into the conv instead.
Region/yolo heads add no nodes: their raw input tensors are the graph outputs, and
decoding lives in `qnnflow.yolo`.
"""

from __future__ import annotations

import json

import numpy as np
import onnx

from qnnflow.frontend.darknet.layers import (
    ConvLayer,
    DarknetNetwork,
    Layer,
    MaxPoolLayer,
    RegionLayer,
    RouteLayer,
    ShortcutLayer,
    UpsampleLayer,
    YoloLayer,
)
from qnnflow.frontend.darknet.weights import ConvParams, DarknetWeights
from qnnflow.util.graph_builder import GraphBuilder

DARKNET_BN_EPS = 1e-6
BINARY_MODES = ("float", "darknet")
LAYERS_KEY = "qnnflow.darknet.layers"
HEADS_KEY = "qnnflow.darknet.heads"
NET_KEY = "qnnflow.darknet.net"


def binarize_per_filter(weights: np.ndarray) -> np.ndarray:
    """Darknet's binarize_weights: w > 0 -> +mean|w|, else -mean|w| (per output filter)."""
    mean = np.abs(weights).reshape(weights.shape[0], -1).mean(axis=1, dtype=np.float64)
    mean = mean.astype(np.float32).reshape(-1, *([1] * (weights.ndim - 1)))
    return np.where(weights > 0, mean, -mean).astype(np.float32)


def _activation(gb: GraphBuilder, x: str, act: str, out: str) -> str:
    if act == "linear":
        return x
    if act == "leaky":
        return gb.node("LeakyRelu", [x], out, alpha=0.1)
    if act == "relu":
        return gb.node("Relu", [x], out)
    return gb.node("Sigmoid", [x], out)  # logistic


def _conv(gb: GraphBuilder, layer: ConvLayer, x: str, p: ConvParams, fold: bool, mode: str) -> str:
    name = f"l{layer.index:03d}_conv"
    weights = p.weights.astype(np.float32)
    binarize = mode == "darknet" and (layer.binary or layer.xnor)
    if binarize:
        weights = binarize_per_filter(weights)
    if mode == "darknet" and layer.xnor:
        positive = gb.node("Greater", [x, gb.const(f"{name}_zero", 0.0)], f"{name}_xpos")
        ones = [gb.const(f"{name}_one", 1.0), gb.const(f"{name}_minus_one", -1.0)]
        x = gb.node("Where", [positive, *ones], f"{name}_xbin")
    bias = p.biases.astype(np.float64)
    std = None
    if layer.batch_normalize:
        std = np.sqrt(p.rolling_variance.astype(np.float64)) + DARKNET_BN_EPS
    if layer.batch_normalize and fold:
        gain = p.scales.astype(np.float64) / std
        weights = (weights.astype(np.float64) * gain[:, None, None, None]).astype(np.float32)
        bias = bias - p.rolling_mean.astype(np.float64) * gain
    conv_inputs = [x, gb.const(f"{name}_W", weights)]
    if not layer.batch_normalize or fold:
        conv_inputs.append(gb.const(f"{name}_B", bias))
    pad = layer.padding
    out = name if (layer.activation == "linear" and (fold or not layer.batch_normalize)) else None
    y = gb.node(
        "Conv",
        conv_inputs,
        out or f"{name}_mac",
        kernel_shape=[layer.size, layer.size],
        strides=[layer.stride, layer.stride],
        pads=[pad, pad, pad, pad],
        group=layer.groups,
    )
    if layer.batch_normalize and not fold:
        bn_name = name if layer.activation == "linear" else f"{name}_bn"
        bn_inputs = [
            y,
            gb.const(f"{name}_bn_scale", p.scales),
            gb.const(f"{name}_bn_bias", bias),
            gb.const(f"{name}_bn_mean", p.rolling_mean),
            gb.const(f"{name}_bn_var", std**2),
        ]
        y = gb.node("BatchNormalization", bn_inputs, bn_name, epsilon=0.0)
    return _activation(gb, y, layer.activation, name)


def _maxpool(gb: GraphBuilder, layer: MaxPoolLayer, x: str) -> str:
    name = f"l{layer.index:03d}_maxpool"
    top, left, bottom, right = layer.pads
    if max(layer.pads) >= layer.size:  # ONNX needs pads < kernel: pad with -inf explicitly
        pads = gb.const(f"{name}_pads", [0, 0, top, left, 0, 0, bottom, right], dtype=np.int64)
        x = gb.node("Pad", [x, pads, gb.const(f"{name}_ninf", -np.inf)], f"{name}_pad")
        top = left = bottom = right = 0
    return gb.node(
        "MaxPool",
        [x],
        name,
        kernel_shape=[layer.size, layer.size],
        strides=[layer.stride, layer.stride],
        pads=[top, left, bottom, right],
    )


def _route(gb: GraphBuilder, layer: RouteLayer, outputs: list[str], net: DarknetNetwork) -> str:
    name = f"l{layer.index:03d}_route"
    parts = []
    for src in layer.sources:
        x = outputs[src]
        if layer.groups > 1:
            chunk = net.layers[src].out_shape[0] // layer.groups
            begin = gb.const(f"{name}_begin", [chunk * layer.group_id], dtype=np.int64)
            end = gb.const(f"{name}_end", [chunk * (layer.group_id + 1)], dtype=np.int64)
            axes = gb.const(f"{name}_axes", [1], dtype=np.int64)
            x = gb.node("Slice", [x, begin, end, axes], f"{name}_slice")
        parts.append(x)
    if len(parts) == 1:
        return gb.node("Identity", parts, name)
    return gb.node("Concat", parts, name, axis=1)


def _upsample(gb: GraphBuilder, layer: UpsampleLayer, x: str) -> str:
    name = f"l{layer.index:03d}_upsample"
    scales = gb.const(f"{name}_scales", [1.0, 1.0, layer.stride, layer.stride])
    out = name if layer.scale == 1.0 else f"{name}_resize"
    y = gb.node(
        "Resize",
        [x, "", scales],
        out,
        mode="nearest",
        coordinate_transformation_mode="asymmetric",
        nearest_mode="floor",
    )
    if layer.scale != 1.0:
        y = gb.node("Mul", [y, gb.const(f"{name}_scale", layer.scale)], name)
    return y


def _shortcut(gb: GraphBuilder, layer: ShortcutLayer, x: str, outputs: list[str]) -> str:
    name = f"l{layer.index:03d}_shortcut"
    add = name if layer.activation == "linear" else f"{name}_add"
    y = gb.node("Add", [x, outputs[layer.source]], add)
    return _activation(gb, y, layer.activation, name)


def _head_info(layer: Layer, tensor: str) -> dict:
    info = {"index": layer.index, "type": layer.kind, "output": tensor, "shape": layer.in_shape}
    if isinstance(layer, RegionLayer):
        info.update(
            anchors=layer.anchors,
            classes=layer.classes,
            coords=layer.coords,
            num=layer.num,
            softmax=layer.softmax,
        )
    elif isinstance(layer, YoloLayer):
        masked = [layer.anchors[2 * m : 2 * m + 2] for m in layer.mask]
        info.update(
            anchors=[v for pair in masked for v in pair],
            classes=layer.classes,
            coords=4,
            num=len(layer.mask),
            scale_x_y=layer.scale_x_y,
        )
    return info


def network_to_onnx(
    net: DarknetNetwork, weights: DarknetWeights, fold_bn: bool = False, binary_mode: str = "float"
) -> onnx.ModelProto:
    """Build the float graph; every layer's output tensor is recorded in the metadata."""
    if binary_mode not in BINARY_MODES:
        raise ValueError(f"binary_mode must be one of {BINARY_MODES}, got {binary_mode!r}")
    gb = GraphBuilder()
    x = gb.add_input("input", [1, net.net.channels, net.net.height, net.net.width])
    outputs: list[str] = []
    layer_info, heads = [], []
    for layer in net.layers:
        if isinstance(layer, ConvLayer):
            x = _conv(gb, layer, x, weights.layers[layer.index], fold_bn, binary_mode)
        elif isinstance(layer, MaxPoolLayer):
            x = _maxpool(gb, layer, x)
        elif isinstance(layer, RouteLayer):
            x = _route(gb, layer, outputs, net)
        elif isinstance(layer, UpsampleLayer):
            x = _upsample(gb, layer, x)
        elif isinstance(layer, ShortcutLayer):
            x = _shortcut(gb, layer, x, outputs)
        else:  # region / yolo: identity on the graph, decoded on the host
            heads.append(_head_info(layer, x))
        outputs.append(x)
        entry = {"index": layer.index, "type": layer.kind, "output": x, "line": layer.line}
        if isinstance(layer, ConvLayer):
            entry.update(binary=layer.binary, xnor=layer.xnor, activation=layer.activation)
        layer_info.append(entry)
    shapes = {o: layer.out_shape for o, layer in zip(outputs, net.layers, strict=True)}
    graph_outputs = [h["output"] for h in heads] or [outputs[-1]]
    model = gb.finish([(o, [1, *shapes[o]]) for o in graph_outputs], name="darknet")
    meta = {
        LAYERS_KEY: json.dumps(layer_info),
        HEADS_KEY: json.dumps(heads),
        NET_KEY: json.dumps(
            {
                "width": net.net.width,
                "height": net.net.height,
                "channels": net.net.channels,
                "cfg": net.path,
                "fold_bn": fold_bn,
                "binary_mode": binary_mode,
            }
        ),
    }
    for key, value in meta.items():  # graph-level, where qonnx's ModelWrapper looks
        entry = model.graph.metadata_props.add()
        entry.key, entry.value = key, value
    return model
