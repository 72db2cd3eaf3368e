"""QuantActToMultiThreshold: activation Quant -> Mul(MultiThreshold(x), s), bit-exact."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from qnnflow.transforms.streamline import QuantActToMultiThreshold
from tests.transforms.streamline.graphs import Chain, check, floats, op_types, thresholds_of

SHAPE = [1, 3, 6, 6]
PER_CHANNEL = np.array([0.25, 0.5, 0.3], dtype=np.float32).reshape(1, 3, 1, 1)


@pytest.mark.parametrize(
    ("scale", "bits", "signed", "narrow", "mode", "dtype", "bias", "levels"),
    [
        (np.float32(0.25), 3.0, 0, 0, "ROUND", "UINT3", 0.0, 7),
        (PER_CHANNEL, 4.0, 1, 1, "ROUND", "INT4", -7.0, 14),
        (np.float32(0.4), 2.0, 1, 0, "FLOOR", "INT2", -2.0, 3),
        (np.float32(0.7), 8.0, 0, 0, "HALF_UP", "UINT8", 0.0, 255),
    ],
)
def test_quant_becomes_thresholds_and_scale(scale, bits, signed, narrow, mode, dtype, bias, levels):
    chain = Chain(SHAPE).op(
        "Quant", scale, 0.0, bits, qonnx=True, signed=signed, narrow=narrow, rounding_mode=mode
    )
    after = check(chain.model(SHAPE), QuantActToMultiThreshold(), floats(SHAPE, seed=3))
    assert op_types(after) == ["MultiThreshold", "Mul"]
    mt = getCustomOp(after.graph.node[0])
    assert mt.get_nodeattr("out_dtype") == dtype and mt.get_nodeattr("out_bias") == bias
    assert thresholds_of(after).shape == (3 if scale.size > 1 else 1, levels)
    assert after.graph.node[0].name == "quant_multithreshold"


def test_bipolar_activation_becomes_a_sign_threshold():
    chain = Chain(SHAPE).op("BipolarQuant", np.float32(0.5), qonnx=True)
    after = check(chain.model(SHAPE), QuantActToMultiThreshold(), floats(SHAPE, seed=4))
    assert op_types(after) == ["MultiThreshold", "Mul"]
    assert getCustomOp(after.graph.node[0]).get_nodeattr("out_dtype") == "BIPOLAR"


def test_weight_quantizers_are_left_alone():
    chain = Chain([1, 2, 4, 4])
    wq = chain.weight_quant("Quant", floats([2, 2, 1, 1]), 0.5, 0.0, 4.0, signed=1, narrow=1)
    chain.op("Conv", wq, kernel_shape=[1, 1])
    model = chain.model([1, 2, 4, 4])
    after = check(model, QuantActToMultiThreshold(), floats([1, 2, 4, 4]))
    assert op_types(after) == ["Quant", "Conv"]
