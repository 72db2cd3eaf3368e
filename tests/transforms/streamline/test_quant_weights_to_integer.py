"""QuantWeightsToInteger: Conv(Quant(W)) -> Mul(Conv(W_int), s), bit-exact on integer inputs."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import QuantWeightsToInteger
from tests.transforms.streamline.graphs import Chain, check, floats, integers, op_types

SCALES = np.array([0.25, 0.5, 0.125, 1.0], dtype=np.float32).reshape(4, 1, 1, 1)


def _conv(op_type: str, params: list, bias: np.ndarray | None = None, **attrs):
    chain = Chain([1, 3, 5, 5])
    wq = chain.weight_quant(op_type, floats([4, 3, 3, 3], seed=1), *params, **attrs)
    chain.op("Conv", wq, *([] if bias is None else [bias]), kernel_shape=[3, 3], pads=[1] * 4)
    return chain.model([1, 4, 5, 5])


def _weights(model):
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    return model.get_initializer(conv.input[1]), model.get_tensor_datatype(conv.input[1])


def test_per_channel_int4_weights_become_integers_and_a_channel_scale():
    model = _conv("Quant", [SCALES, 0.0, 4.0], signed=1, narrow=1, rounding_mode="ROUND")
    after = check(model, QuantWeightsToInteger(), integers([1, 3, 5, 5], -8, 9))
    assert op_types(after) == ["Conv", "Mul"]
    weights, dtype = _weights(after)
    assert dtype.name == "INT4" and np.array_equal(weights, np.round(weights))
    assert weights.min() >= -7 and weights.max() <= 7
    assert after.get_initializer(after.graph.node[1].input[1]).shape == (1, 4, 1, 1)


def test_binary_weights_become_bipolar():
    model = _conv("BipolarQuant", [np.float32(0.5)])
    after = check(model, QuantWeightsToInteger(), integers([1, 3, 5, 5], 0, 8))
    weights, dtype = _weights(after)
    assert dtype.name == "BIPOLAR" and set(np.unique(weights)) == {-1.0, 1.0}


def test_conv_bias_moves_behind_the_scale():
    bias = np.array([1.0, -2.0, 3.0, 0.5], dtype=np.float32)
    model = _conv("Quant", [np.float32(0.25), 0.0, 8.0], bias, signed=1, narrow=1)
    after = check(model, QuantWeightsToInteger(), integers([1, 3, 5, 5], -8, 9))
    assert op_types(after) == ["Conv", "Mul", "Add"]
    assert len(after.graph.node[0].input) == 2
