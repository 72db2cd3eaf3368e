"""Weight quantizers of a Conv, Gemm or MatMul become integer weights and a scale after it:

    Conv(x, Quant(W; s, z=0, b bits))  ==>  Mul(Conv(x, W_int), s)   W_int = clip(round(W / s))
    Conv(x, BipolarQuant(W; s))        ==>  Mul(Conv(x, W_bip), s)   W_bip = +1 if W >= 0 else -1
    Conv(x, Wq, B)                     ==>  Add(Mul(Conv(x, W_int), s), B)
    Gemm(x, Wq[, C]) / MatMul(x, Wq)   ==>  the same, Gemm's C moving behind the scale as B does

The scale s must be positive and either a scalar or one value per output channel: weight axis
0 of a Conv ((O, 1, 1, 1)) and of a Gemm with transB=1 ([O, I]), axis 1 of a Gemm with
transB=0 and of a MatMul ([I, O]). The Mul then holds a scalar or one value per output
channel on the output's channel axis: (1, O, 1, 1) after a Conv, (1, O) (the last axis) after
a fully connected layer. A Gemm must have alpha=1, transA=0 and (with C) beta=1. W_int is
annotated with the quantizer's datatype: BIPOLAR, INTb (signed) or UINTb (unsigned).
"""

from __future__ import annotations

import numpy as np
from onnx import NodeProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.general.bipolar_quant import binary_quant
from qonnx.custom_op.general.quant import quant
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    Matches,
    attr,
    channel_vector,
    new_initializer,
    new_tensor,
    sole_consumer,
)


def weight_output_axis(model: ModelWrapper, node: NodeProto) -> int | None:
    """The axis of `node`'s weights (input 1) that holds its output channels; None when
    `node` is not a Conv, a plain Gemm (alpha=1, transA=0, beta=1 with C) or a MatMul by a
    matrix."""
    if node.op_type == "Conv":
        return 0
    if node.op_type == "Gemm":
        has_c = len(node.input) > 2 and bool(node.input[2])
        if attr(node, "alpha", 1.0) != 1.0 or attr(node, "transA", 0) != 0:
            return None
        if has_c and attr(node, "beta", 1.0) != 1.0:
            return None
        return 0 if attr(node, "transB", 0) else 1
    if node.op_type == "MatMul":
        shape = model.get_tensor_shape(node.input[1])
        return 1 if shape is not None and len(shape) == 2 else None
    return None


def _integer_weights(
    model: ModelWrapper, wq, axis: int
) -> tuple[np.ndarray, np.ndarray, DataType] | None:
    """(integer weights, scale, datatype) of a weight quantizer with constant inputs."""
    values = [model.get_initializer(name) for name in wq.input]
    if any(v is None for v in values):
        return None
    w, scale = values[0].astype(np.float32), values[1].astype(np.float32)
    if channel_vector(scale, list(w.shape), axis=axis) is None or np.any(scale <= 0):
        return None
    if wq.op_type == "BipolarQuant":
        return np.round(binary_quant(w, scale) / scale), scale, DataType["BIPOLAR"]
    zeropt, bits = values[2], values[3]
    op = getCustomOp(wq)
    signed, narrow = op.get_nodeattr("signed"), op.get_nodeattr("narrow")
    if np.any(zeropt != 0) or bits.size != 1 or int(bits) != bits or int(bits) < 2:
        return None
    dequant = quant(w, scale, zeropt, bits, signed, narrow, op.get_nodeattr("rounding_mode"))
    dtype = DataType[f"{'INT' if signed else 'UINT'}{int(bits)}"]
    return np.round(dequant / scale), scale, dtype


def _bias(model: ModelWrapper, layer: NodeProto) -> str | None:
    """The constant bias input (Conv B, Gemm C) of `layer`, '' when it has a dynamic one."""
    if len(layer.input) < 3 or not layer.input[2]:
        return None
    return layer.input[2] if model.get_initializer(layer.input[2]) is not None else ""


class QuantWeightsToInteger(Transformation):
    """Integer (or bipolar) weights, with the weight scale (and bias) moved after the layer."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for layer in model.graph.node:
            axis = weight_output_axis(model, layer) if len(layer.input) >= 2 else None
            wq = model.find_producer(layer.input[1]) if axis is not None else None
            if wq is None or wq.op_type not in ("Quant", "BipolarQuant"):
                continue
            reader = sole_consumer(model, wq.output[0])
            if reader is None or reader.output[0] != layer.output[0]:
                continue
            bias = _bias(model, layer)
            if bias == "" or (bias and self._bias_vector(model, layer, bias) is None):
                continue
            found = _integer_weights(model, wq, axis)
            if found is not None:
                matches.add((layer, wq), found)
        for layer, wq, (w_int, scale, dtype) in matches:
            self._rewrite(model, layer, wq, w_int, scale, dtype)
        return model, bool(matches)

    @staticmethod
    def _channel_shape(layer: NodeProto, rank: int) -> tuple[int, ...]:
        """Shape of a per-output-channel constant: axis 1 after a Conv, else the last."""
        if layer.op_type == "Conv":
            return (1, -1, *([1] * (rank - 2)))
        return (*([1] * (rank - 1)), -1)

    @staticmethod
    def _bias_vector(model: ModelWrapper, layer: NodeProto, bias: str) -> np.ndarray | None:
        """One bias value per output channel (a Conv's B always is; a Gemm's C must
        broadcast along the output's last axis only)."""
        value = model.get_initializer(bias)
        if layer.op_type == "Conv":
            return value.reshape(-1)
        out_shape = model.get_tensor_shape(layer.output[0])
        return None if out_shape is None else channel_vector(value, out_shape, -1)

    def _rewrite(self, model: ModelWrapper, layer, wq, w_int, scale, dtype) -> None:
        base = layer.name or layer.output[0]
        out_shape = model.get_tensor_shape(layer.output[0])
        channel_shape = self._channel_shape(layer, len(out_shape))
        w_name = new_initializer(model, f"{base}_weight_int", w_int)
        model.set_tensor_datatype(w_name, dtype)
        layer.input[1] = w_name
        model.graph.node.remove(wq)
        s_value = scale.reshape(channel_shape) if scale.size > 1 else scale.reshape(1)
        s_name = new_initializer(model, f"{base}_weight_scale", s_value)
        end = layer.output[0]
        acc = new_tensor(model, out_shape, f"{base}_acc")
        layer.output[0] = acc
        position = list(model.graph.node).index(layer) + 1
        bias = _bias(model, layer)
        scaled = new_tensor(model, out_shape, f"{base}_scaled") if bias else end
        new_nodes = [helper.make_node("Mul", [acc, s_name], [scaled], name=f"{base}_wscale")]
        if bias:
            value = self._bias_vector(model, layer, bias).reshape(channel_shape)
            b_name = new_initializer(model, f"{base}_bias", value)
            new_nodes.append(helper.make_node("Add", [scaled, b_name], [end], name=f"{base}_bias"))
            del layer.input[2]
        for offset, node in enumerate(new_nodes):
            model.graph.node.insert(position + offset, node)
