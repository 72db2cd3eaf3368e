"""Fold every float factor around a quantized conv into integer weights and thresholds:

    codes -> Mul(s_in) -> [MaxPool] -> Conv(Wq) -> BatchNorm -> Relu -> MultiThreshold(T)
==> codes -> [MaxPool] -> Conv(W_int) -> MultiThreshold(T')

with Wq = BipolarQuant(W; m) (W_int = sign, gain m) or Quant(W; s_w) (W_int = round(W/s_w)),
per output channel y = a*acc + b where a = gamma*s_in*gain/sigma, b = beta - gamma*mu/sigma,
so T' = (T - b)/a. A channel with a < 0 gets negated weights and T' = (T - b)/(-a); with
a == 0 its output is the constant count(b >= T). Relu is dropped because every T > 0.
MaxPool commutes with the positive scale s_in.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

BIG = float(2**30)


def _weights(model: ModelWrapper, quant) -> tuple[np.ndarray, np.ndarray] | None:
    """(integer weights, per-output-channel gain) of a weight quantizer node."""
    w = model.get_initializer(quant.input[0])
    scale = model.get_initializer(quant.input[1])
    if w is None or scale is None:
        return None
    per_channel = np.broadcast_to(scale, (w.shape[0], *([1] * (w.ndim - 1)))).reshape(-1)
    if quant.op_type == "BipolarQuant":
        return np.where(w >= 0, 1.0, -1.0), per_channel.astype(np.float64)
    if quant.op_type != "Quant" or not getCustomOp(quant).get_nodeattr("signed"):
        return None
    zeropt, bits = (model.get_initializer(n) for n in quant.input[2:4])
    if zeropt is None or bits is None or np.any(zeropt != 0):
        return None
    bits = int(bits)
    low = -(2 ** (bits - 1)) + int(getCustomOp(quant).get_nodeattr("narrow"))
    ints = np.clip(np.round(w / scale), low, 2 ** (bits - 1) - 1)
    return ints, per_channel.astype(np.float64)


def _match(model: ModelWrapper, mt) -> dict | None:
    relu = model.find_producer(mt.input[0])
    bn = model.find_producer(relu.input[0]) if relu is not None and relu.op_type == "Relu" else None
    if bn is None or bn.op_type != "BatchNormalization":
        return None
    conv = model.find_producer(bn.input[0])
    if conv is None or conv.op_type != "Conv" or len(conv.input) != 2:
        return None
    if any(
        len(model.find_consumers(t)) != 1 for t in (conv.output[0], bn.output[0], relu.output[0])
    ):
        return None
    wquant = model.find_producer(conv.input[1])
    weights = _weights(model, wquant) if wquant is not None else None
    pool = model.find_producer(conv.input[0])
    if pool is not None and pool.op_type == "MaxPool":
        if len(model.find_consumers(pool.output[0])) != 1:
            return None
        mul = model.find_producer(pool.input[0])
    else:
        mul, pool = pool, None
    if weights is None or mul is None or mul.op_type != "Mul":
        return None
    s_in = model.get_initializer(mul.input[1])
    if s_in is None or s_in.size != 1 or float(s_in.reshape(-1)[0]) <= 0:
        return None
    thresholds = model.get_initializer(mt.input[1])
    if thresholds is None or np.any(thresholds <= 0):
        return None
    return {
        "relu": relu,
        "bn": bn,
        "conv": conv,
        "wquant": wquant,
        "weights": weights,
        "pool": pool,
        "mul": mul,
        "s_in": float(s_in.reshape(-1)[0]),
        "thresholds": thresholds,
    }


def _new_thresholds(thresholds, a, b):
    channels = a.shape[0]
    t = np.broadcast_to(thresholds.astype(np.float64), (channels, thresholds.shape[1]))
    out = np.empty_like(t)
    for o in range(channels):
        if a[o] > 0:
            out[o] = (t[o] - b[o]) / a[o]
        elif a[o] < 0:
            out[o] = (t[o] - b[o]) / -a[o]
        else:
            out[o] = np.where(b[o] >= t[o], -BIG, BIG)
    return out


class AbsorbIntoConvThresholds(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for mt in model.graph.node:
            if mt.op_type != "MultiThreshold":
                continue
            match = _match(model, mt)
            if match is not None:
                self._rewrite(model, mt, match)
                return model, True  # graph changed: match again from the start
        return model, False

    def _rewrite(self, model: ModelWrapper, mt, m: dict) -> None:
        w_int, gain = m["weights"]
        gamma, beta, mean, var = (
            model.get_initializer(n).astype(np.float64) for n in m["bn"].input[1:5]
        )
        eps = next((a.f for a in m["bn"].attribute if a.name == "epsilon"), 1e-5)
        sigma = np.sqrt(var + eps)
        a = gamma * m["s_in"] * gain / sigma
        b = beta - gamma * mean / sigma
        w_int = w_int * np.where(a < 0, -1.0, 1.0).reshape(-1, 1, 1, 1)
        conv, mul = m["conv"], m["mul"]
        codes = mul.input[0]
        reader = m["pool"] if m["pool"] is not None else conv
        reader.input[0] = codes
        if not model.find_consumers(mul.output[0]):
            model.graph.node.remove(mul)
        w_name = f"{conv.name}_W_int"
        model.set_initializer(w_name, w_int.astype(np.float32))
        conv.input[1] = w_name
        if not model.find_consumers(m["wquant"].output[0]):
            model.graph.node.remove(m["wquant"])
        t_name = f"{mt.name}_T_int"
        model.set_initializer(t_name, _new_thresholds(m["thresholds"], a, b).astype(np.float32))
        mt.input[1] = t_name
        mt.input[0] = conv.output[0]
        model.graph.node.remove(m["bn"])
        model.graph.node.remove(m["relu"])
        if m["pool"] is not None:
            model.set_tensor_datatype(m["pool"].output[0], model.get_tensor_datatype(codes))
        bits = int(np.abs(w_int).max()).bit_length() + 1
        model.set_tensor_datatype(
            w_name, DataType["BIPOLAR"] if np.isin(w_int, (-1, 1)).all() else DataType[f"INT{bits}"]
        )
