"""QuantActToMultiThreshold: activation Quant -> Mul(MultiThreshold(x), s), bit-exact."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from qnnflow.transforms.streamline import QuantActToMultiThreshold
from qnnflow.transforms.streamline.quant_act_to_multithreshold import sign_thresholds
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


def _quant(chain: Chain, scale, bits=4.0, signed=0, narrow=0) -> Chain:
    return chain.op(
        "Quant", np.asarray(scale, np.float32), 0.0, bits, qonnx=True, signed=signed,
        narrow=narrow, rounding_mode="ROUND",
    )  # fmt: skip


def test_a_flat_activation_converts_and_the_nodes_take_its_place():
    """A [1, 8] activation (after an FC layer) between two Relus: thresholds and scale are
    inserted where the Quant was, named after it, the codes typed UINT4."""
    chain = _quant(Chain([1, 8]).op("Relu"), 0.25).op("Relu")
    model = chain.model([1, 8])
    assert QuantActToMultiThreshold().apply(model)[1] is True
    assert [n.name for n in model.graph.node] == [
        "relu", "quant_multithreshold", "quant_scale", "relu_1"
    ]  # fmt: skip
    assert model.get_tensor_datatype(model.graph.node[1].output[0]).name == "UINT4"
    after = check(chain.model([1, 8]), QuantActToMultiThreshold(), floats([1, 8], seed=1))
    assert op_types(after) == ["Relu", "MultiThreshold", "Mul", "Relu"]


@pytest.mark.parametrize("bad", [0.0, np.inf, -0.5])
def test_a_zero_infinite_or_negative_scale_stays(bad):
    scale = np.array([0.25, bad, 0.5], np.float32).reshape(1, 3, 1, 1)
    model = _quant(Chain(SHAPE), scale).model(SHAPE)
    assert QuantActToMultiThreshold().apply(model)[1] is False


def test_an_activation_of_unknown_shape_stays():
    chain = _quant(Chain(SHAPE).op("Relu"), 0.25)
    model = chain.model(SHAPE)
    relu = model.graph.node[0].output[0]
    model.graph.value_info.remove(model.get_tensor_valueinfo(relu))
    assert QuantActToMultiThreshold().apply(model)[1] is False


def test_sign_thresholds_are_the_least_non_negative_quotient_per_channel():
    """x / s >= 0 holds from the returned x on and not one float32 below it, for scales whose
    quotients underflow (huge s) or overflow (tiny s), quietly, one row per channel."""
    scale = np.array([0.5, 3.0, 1e30, 1e-30], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = sign_thresholds(scale)
    assert t.shape == (4, 1) and t.dtype == np.float32
    for s, x in zip(scale, t[:, 0], strict=True):
        assert x / s >= 0
        below = np.nextafter(x, np.float32(-np.inf))
        with np.errstate(under="ignore", over="ignore"):
            assert not below / s >= 0
        assert x == sign_thresholds(np.array([s]))[0, 0]
