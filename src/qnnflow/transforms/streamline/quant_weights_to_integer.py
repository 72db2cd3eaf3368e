"""Weight quantizers of a Conv become integer weights and a scale after the Conv:

    Conv(x, Quant(W; s, z=0, b bits))  ==>  Mul(Conv(x, W_int), s)   W_int = clip(round(W / s))
    Conv(x, BipolarQuant(W; s))        ==>  Mul(Conv(x, W_bip), s)   W_bip = +1 if W >= 0 else -1
    Conv(x, Wq, B)                     ==>  Add(Mul(Conv(x, W_int), s), B)

The scale s must be positive and either a scalar or one value per output channel (shape
(O, 1, 1, 1)); the Mul then holds a scalar or a (1, O, 1, 1) constant. W_int is annotated with
the quantizer's datatype: BIPOLAR, INTb (signed) or UINTb (unsigned).
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.general.bipolar_quant import binary_quant
from qonnx.custom_op.general.quant import quant
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    Matches,
    channel_vector,
    new_initializer,
    new_tensor,
    sole_consumer,
)


def _integer_weights(model: ModelWrapper, wq) -> tuple[np.ndarray, np.ndarray, DataType] | None:
    """(integer weights, scale, datatype) of a weight quantizer with constant inputs."""
    values = [model.get_initializer(name) for name in wq.input]
    if any(v is None for v in values):
        return None
    w, scale = values[0].astype(np.float32), values[1].astype(np.float32)
    if channel_vector(scale, list(w.shape), axis=0) is None or np.any(scale <= 0):
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


class QuantWeightsToInteger(Transformation):
    """Integer (or bipolar) conv weights, with the weight scale moved after the conv."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for conv in model.graph.node:
            if conv.op_type != "Conv" or len(conv.input) < 2:
                continue
            wq = model.find_producer(conv.input[1])
            if wq is None or wq.op_type not in ("Quant", "BipolarQuant"):
                continue
            reader = sole_consumer(model, wq.output[0])
            if reader is None or reader.output[0] != conv.output[0]:
                continue
            bias = conv.input[2] if len(conv.input) > 2 and conv.input[2] else None
            if bias is not None and model.get_initializer(bias) is None:
                continue
            found = _integer_weights(model, wq)
            if found is not None:
                matches.add((conv, wq), found)
        for conv, wq, (w_int, scale, dtype) in matches:
            self._rewrite(model, conv, wq, w_int, scale, dtype)
        return model, bool(matches)

    @staticmethod
    def _rewrite(model: ModelWrapper, conv, wq, w_int, scale, dtype) -> None:
        base = conv.name or conv.output[0]
        out_shape = model.get_tensor_shape(conv.output[0])
        channel_shape = (1, -1, *([1] * (len(out_shape) - 2)))
        w_name = new_initializer(model, f"{base}_weight_int", w_int)
        model.set_tensor_datatype(w_name, dtype)
        conv.input[1] = w_name
        model.graph.node.remove(wq)
        s_value = scale.reshape(channel_shape) if scale.size > 1 else scale.reshape(1)
        s_name = new_initializer(model, f"{base}_weight_scale", s_value)
        end = conv.output[0]
        acc = new_tensor(model, out_shape, f"{base}_acc")
        conv.output[0] = acc
        position = list(model.graph.node).index(conv) + 1
        bias = conv.input[2] if len(conv.input) > 2 and conv.input[2] else None
        scaled = new_tensor(model, out_shape, f"{base}_scaled") if bias else end
        new_nodes = [helper.make_node("Mul", [acc, s_name], [scaled], name=f"{base}_wscale")]
        if bias:
            b_value = model.get_initializer(bias).reshape(channel_shape)
            b_name = new_initializer(model, f"{base}_bias", b_value)
            new_nodes.append(helper.make_node("Add", [scaled, b_name], [end], name=f"{base}_bias"))
            del conv.input[2]
        for offset, node in enumerate(new_nodes):
            model.graph.node.insert(position + offset, node)
