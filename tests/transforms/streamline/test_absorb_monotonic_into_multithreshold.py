"""AbsorbMonotonicIntoMultiThreshold: LeakyRelu(a) -> MultiThreshold(T) -> MultiThreshold(T'),
T' = T for T >= 0 and T / a below, exact on inputs that land on the mapped thresholds."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp

from qnnflow.transforms.streamline import AbsorbMonotonicIntoMultiThreshold, Streamline
from qnnflow.transforms.streamline.absorb_monotonic_into_multithreshold import mapped_thresholds
from qnnflow.transforms.streamline.patterns import QONNX_DOMAIN
from tests.transforms.streamline.graphs import Chain, check, floats, op_types, thresholds_of

SHAPE = [1, 2, 4, 4]
SIGNED_T = np.array([[-0.35, -0.05, 0.0, 0.5, 1.5, 2.5, 3.5]], np.float32)  # INT3 codes


def _model(thresholds, alpha=0.1, out_bias=-4.0, dtype="INT3", shape=SHAPE):
    chain = Chain(shape).op("LeakyRelu", alpha=alpha)
    chain.op(
        "MultiThreshold",
        np.asarray(thresholds, np.float32),
        qonnx=True,
        out_dtype=dtype,
        out_bias=out_bias,
    )
    return chain.model(shape)


def _edges(thresholds: np.ndarray, alpha: float) -> np.ndarray:
    """Inputs on each mapped threshold, one float32 step either side, and the real inverse."""
    mapped = mapped_thresholds(thresholds, lambda x: np.where(x >= 0, x, np.float32(alpha) * x))
    t = thresholds.ravel().astype(np.float64)
    real = np.where(t >= 0, t, t / alpha).astype(np.float32)
    values = [mapped, np.nextafter(mapped, -np.inf), np.nextafter(mapped, np.inf), real]
    values.append(np.array([0.0, -0.0, 1e-45, -1e-45, -1e30, 1e30], np.float32))
    return np.concatenate([np.ravel(v) for v in values]).astype(np.float32)


def _as_input(values: np.ndarray, shape=SHAPE) -> np.ndarray:
    size = int(np.prod(shape))
    return np.resize(values, size).reshape(shape).astype(np.float32)


def test_mapped_thresholds_are_t_above_zero_and_t_over_alpha_below():
    after = check(_model(SIGNED_T), AbsorbMonotonicIntoMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["MultiThreshold"]
    t = thresholds_of(after)[0]
    np.testing.assert_allclose(t[3:], SIGNED_T[0, 3:])
    np.testing.assert_allclose(t[:2], SIGNED_T[0, :2] / np.float32(0.1), rtol=1e-6)
    # leaky(x) >= 0 also for x whose product underflows to -0: a subnormal threshold, or,
    # where something in this process set flush-to-zero, the least x whose product is
    # subnormal (-1.18e-37 for alpha 0.1); the integer rounding that follows in
    # streamlining maps every one of them to 0
    assert -1e-36 < t[2] <= 0


@pytest.mark.parametrize("alpha", [0.1, 0.01, 0.5, 0.3333])
def test_exact_on_and_around_every_mapped_threshold(alpha):
    model = _model(SIGNED_T, alpha)
    edges = _edges(SIGNED_T, alpha)
    for start in range(0, edges.size, int(np.prod(SHAPE))):
        x = _as_input(np.roll(edges, -start))
        after = check(model, AbsorbMonotonicIntoMultiThreshold(), x)
    assert op_types(after) == ["MultiThreshold"]


def test_signed_codes_and_out_bias_survive():
    after = check(_model(SIGNED_T), AbsorbMonotonicIntoMultiThreshold(), floats(SHAPE))
    op = getCustomOp(after.graph.node[0])
    assert op.get_nodeattr("out_bias") == -4.0 and op.get_nodeattr("out_dtype") == "INT3"
    x = _as_input(np.array([-1e30, -3.5, 0.0, 0.7, 1e30], np.float32))
    codes = execute_onnx(after, {"x": x})[after.graph.output[0].name]
    assert codes.min() == -4 and codes.max() == 3


def test_per_channel_thresholds():
    t = np.array([[-0.3, 0.0, 1.0], [-2.0, -1.0, 0.25]], np.float32)
    model = _model(t, out_bias=-2.0, dtype="INT2")
    after = check(model, AbsorbMonotonicIntoMultiThreshold(), _as_input(_edges(t, 0.1)))
    assert thresholds_of(after).shape == (2, 3)


def test_negative_alpha_is_not_monotonic_and_stays():
    after = check(_model(SIGNED_T, alpha=-0.1), AbsorbMonotonicIntoMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["LeakyRelu", "MultiThreshold"]


def test_leaky_read_elsewhere_stays_for_its_other_reader():
    chain = Chain(SHAPE).op("LeakyRelu", alpha=0.1)
    leaky_out = chain.head
    chain.op("MultiThreshold", SIGNED_T, qonnx=True, out_dtype="INT3", out_bias=-4.0)
    model = chain.model(SHAPE, also=((leaky_out, SHAPE),))
    after = check(model, AbsorbMonotonicIntoMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["LeakyRelu", "MultiThreshold"]
    assert after.graph.node[1].input[0] == "x"


def test_streamline_folds_scale_and_bias_through_the_leaky_into_integer_thresholds():
    """Mul(s) -> Add(b) -> LeakyRelu -> MT on an INT8 input: one MultiThreshold with integer
    thresholds and signed codes after Streamline, equal on every INT8 value."""
    shape = [1, 2, 16, 16]
    chain = Chain(shape).op("Mul", np.array([[[[0.05]], [[0.2]]]], np.float32))
    chain.op("Add", np.array([[[[0.3]], [[-0.7]]]], np.float32)).op("LeakyRelu", alpha=0.1)
    chain.op("MultiThreshold", SIGNED_T, qonnx=True, out_dtype="INT3", out_bias=-4.0)
    model = chain.model(shape, input_dtype="INT8")
    x = np.arange(-128, 384, dtype=np.float32)[: np.prod(shape)] % 256 - 128
    after = check(model, Streamline(), x.reshape(shape))
    assert op_types(after) == ["MultiThreshold"]
    t = thresholds_of(after)
    assert np.array_equal(t, np.round(t)) and t.min() < 0
    assert getCustomOp(after.graph.node[0]).get_nodeattr("out_bias") == -4.0


def test_leaky_read_by_another_node_stays_for_it():
    chain = Chain(SHAPE).op("LeakyRelu", alpha=0.1)
    leaky_out = chain.head
    chain.op("MultiThreshold", SIGNED_T, qonnx=True, out_dtype="INT3", out_bias=-4.0)
    other = chain.builder.node("Neg", [leaky_out], "other")
    model = chain.model(SHAPE, also=((other, SHAPE),))
    after = check(model, AbsorbMonotonicIntoMultiThreshold(), floats(SHAPE))
    assert sorted(op_types(after)) == ["LeakyRelu", "MultiThreshold", "Neg"]


@pytest.mark.parametrize("alpha", [None, 0.0])
def test_default_and_zero_alpha_are_absorbed_exactly(alpha):
    """No alpha attribute: onnxruntime's 0.01; alpha 0 is a Relu (still non-decreasing).
    A thresholding of the raw input comes first and stays."""
    chain = Chain(SHAPE)
    thresholds = chain.builder.const("t_first", SIGNED_T)
    first = chain.builder.node(
        "MultiThreshold", [chain.head, thresholds], "first", domain=QONNX_DOMAIN, out_dtype="INT3"
    )
    chain.op("LeakyRelu", **({} if alpha is None else {"alpha": alpha}))
    chain.op("MultiThreshold", SIGNED_T, qonnx=True, out_dtype="INT3", out_bias=-4.0)
    model = chain.model(SHAPE, also=((first, SHAPE),))
    assert AbsorbMonotonicIntoMultiThreshold().apply(model)[1] is True
    edges = _edges(SIGNED_T, 0.01 if alpha is None else 1e-30)
    model = chain.model(SHAPE, also=((first, SHAPE),))
    after = check(model, AbsorbMonotonicIntoMultiThreshold(), _as_input(edges))
    assert sorted(op_types(after)) == ["MultiThreshold", "MultiThreshold"]
