"""Thresholds from a Quant reproduce its rounding mode bit-exactly on every tie and one float32
step either side, for every qonnx rounding mode, bit width 1-8, signed or not, narrow or not;
alone and through the whole streamliner behind a BatchNorm that puts integer inputs on ties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.general.quant import max_int, min_int

from qnnflow.transforms.streamline import QuantActToMultiThreshold, Streamline
from qnnflow.transforms.streamline.quant_act_to_multithreshold import rounding_function
from tests.transforms.streamline.graphs import Chain, check, op_types

MODES = ["ROUND", "HALF_EVEN", "HALF_UP", "HALF_DOWN", "UP", "DOWN", "CEIL", "FLOOR"]
CONFIGS = [
    (bits, signed, narrow)
    for bits, signed, narrow in itertools.product(range(1, 9), (0, 1), (0, 1))
    if not (bits == 1 and narrow)  # a 1-bit narrow range holds fewer than two codes
]


def _tie_inputs(scale: float, bits: int, signed: int, narrow: int) -> np.ndarray:
    """x where x / s is every half-integer and integer across the code range and beyond, and
    the float32 neighbours of each."""
    q_min, q_max = min_int(signed, narrow, bits), max_int(signed, narrow, bits)
    halves = np.arange(2 * q_min - 4, 2 * q_max + 5, dtype=np.float64) / 2.0
    x = (halves * scale).astype(np.float32)
    below = np.nextafter(x, np.float32(-np.inf))
    above = np.nextafter(x, np.float32(np.inf))
    return np.concatenate([x, below, above])


def _quant_model(n: int, scale: float, bits: int, signed: int, narrow: int, mode: str):
    chain = Chain([1, 1, 1, n]).op(
        "Quant",
        np.float32(scale),
        0.0,
        float(bits),
        qonnx=True,
        signed=signed,
        narrow=narrow,
        rounding_mode=mode,
    )
    return chain.model([1, 1, 1, n])


@pytest.mark.parametrize("mode", MODES)
def test_every_tie_of_every_configuration_is_bit_exact(mode):
    """Scale 1/4 puts x / s exactly on ties; 0.3 leaves float32 rounding in x / s."""
    for (bits, signed, narrow), scale in itertools.product(CONFIGS, (0.25, 0.3)):
        x = _tie_inputs(scale, bits, signed, narrow)
        model = _quant_model(x.size, scale, bits, signed, narrow, mode)
        after = check(model, QuantActToMultiThreshold(), x.reshape(1, 1, 1, -1))
        assert op_types(after) == ["MultiThreshold", "Mul"], (bits, signed, narrow)


def test_half_to_even_splits_ties_by_parity():
    """83.5 rounds to 84, 82.5 to 82, -83.5 to -84: the code-84 boundary passes its tie, the
    code-83 boundary does not (its threshold is one float32 step above the tie)."""
    x = np.array([83.5, 82.5, -83.5, -82.5], np.float32) / np.float32(128)
    model = _quant_model(4, 1 / 128, 8, 1, 0, "ROUND")
    after = check(model, QuantActToMultiThreshold(), x.reshape(1, 1, 1, 4))
    t = after.get_initializer(after.graph.node[0].input[1])[0]
    q_min = -128
    assert t[84 - q_min - 1] == np.float32(83.5 / 128)
    assert t[83 - q_min - 1] == np.nextafter(np.float32(82.5 / 128), np.float32(1))
    assert t[-83 - q_min - 1] == np.nextafter(np.float32(-83.5 / 128), np.float32(1))


def test_brevitas_round_to_zero_is_qonnx_down():
    assert rounding_function("round_to_zero") is rounding_function("DOWN")
    assert rounding_function("STOCHASTIC") is None


def _batchnorm_quant_model(n: int, bits: int, signed: int, mode: str):
    """x -> BatchNorm (x / 2 + 1/4, exact in float32) -> Quant(s = 1/2): every integer x
    lands on the tie x + 1/2."""
    chain = Chain([1, 1, 1, n]).op(
        "BatchNormalization",
        np.ones(1),  # gamma
        np.full(1, 0.25),  # beta
        np.zeros(1),  # mean
        np.full(1, 4.0),  # variance: sqrt(4 + 0) = 2
        epsilon=0.0,
    )
    chain.op(
        "Quant",
        np.float32(0.5),
        0.0,
        float(bits),
        qonnx=True,
        signed=signed,
        narrow=0,
        rounding_mode=mode,
    )
    return chain.model([1, 1, 1, n], input_dtype="INT8")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("bits", "signed"), [(1, 0), (2, 1), (3, 0), (4, 1), (8, 1)])
def test_streamlined_integer_thresholds_keep_ties(mode, bits, signed):
    """Through BatchNormToAffine, the absorption of Mul and Add and the rounding of the
    thresholds to integers, every INT8 input (each a tie) and its codes stay exact."""
    x = np.arange(-128, 128, dtype=np.float32).reshape(1, 1, 1, -1)
    model = _batchnorm_quant_model(x.size, bits, signed, mode)
    after = model.transform(Streamline(input_datatype="INT8"))
    assert "MultiThreshold" in op_types(after) and "BatchNormalization" not in op_types(after)
    mt = next(n for n in after.graph.node if n.op_type == "MultiThreshold")
    thresholds = after.get_initializer(mt.input[1])
    assert np.array_equal(thresholds, np.round(thresholds))  # integers
    want = execute_onnx(model, {"x": x})[model.graph.output[0].name]
    got = execute_onnx(after, {"x": x})[after.graph.output[0].name]
    assert np.array_equal(got, want), np.flatnonzero(got != want)
