"""RoundThresholdsToIntegers: thresholds on integer inputs -> clip(ceil(T), min, max + 1)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import RoundThresholdsToIntegers
from qnnflow.verify import verified_transform
from tests.transforms.streamline.graphs import Chain, check, floats, integers, thresholds_of

SHAPE = [1, 2, 4, 4]
T = np.array([[-20.0, -0.5, 0.3, 2.0, 7.5, 100.0]], np.float32)


def _model(input_dtype=None):
    chain = Chain(SHAPE).op("MultiThreshold", T, qonnx=True, out_dtype="UINT3")
    return chain.model(SHAPE, input_dtype=input_dtype)


def test_thresholds_on_int4_input_are_rounded_up_and_clipped():
    after = check(_model("INT4"), RoundThresholdsToIntegers(), integers(SHAPE, -8, 8))
    t = thresholds_of(after)
    assert np.array_equal(t, [[-8, 0, 1, 2, 8, 8]]) and not np.signbit(t[t == 0]).any()
    assert after.get_tensor_datatype(after.graph.node[0].input[1]).name == "INT5"


def test_thresholds_on_float_input_are_kept():
    after = check(_model(), RoundThresholdsToIntegers(), floats(SHAPE))
    assert np.array_equal(thresholds_of(after), T)


def test_thresholds_of_plus_minus_one_are_int2_not_bipolar():
    """+-1 thresholds (rounded now, or integers already) are counted in INT2, never BIPOLAR."""
    for given in ([[-1.0, 0.5]], [[-1.0, 1.0]]):
        thresholds = np.array(given, np.float32)
        chain = Chain(SHAPE).op("MultiThreshold", thresholds, qonnx=True, out_dtype="UINT2")
        model = chain.model(SHAPE, input_dtype="INT4")
        after = model.transform(RoundThresholdsToIntegers())
        assert np.array_equal(thresholds_of(after), [[-1, 1]])
        assert after.get_tensor_datatype(after.graph.node[0].input[1]).name == "INT2"


def test_a_strict_tie_one_float_step_above_an_integer_becomes_the_next_integer():
    """x > 5 (threshold nextafter(5)) is x >= 6 on integers; x >= 5 stays 5."""
    strict = np.nextafter(np.float32(5.0), np.float32(6.0))
    thresholds = np.array([[5.0, strict]], np.float32)
    chain = Chain(SHAPE).op("MultiThreshold", thresholds, qonnx=True, out_dtype="UINT2")
    x = np.resize(np.arange(-8, 8, dtype=np.float32), SHAPE)
    after = check(chain.model(SHAPE, input_dtype="INT4"), RoundThresholdsToIntegers(), x)
    assert np.array_equal(thresholds_of(after), [[5, 6]])


def test_only_thresholdings_on_integer_inputs_are_rounded():
    """x (float) -> Relu -> MT1 -> MT2: MT1 reads floats and keeps its thresholds; MT2 reads
    MT1's UINT2 codes and gets clip(ceil(T), 0, 4)."""
    chain = Chain(SHAPE).op("Relu")
    chain.op(
        "MultiThreshold", np.array([[0.5, 1.5, 2.5]], np.float32), qonnx=True, out_dtype="UINT2"
    )
    chain.op(
        "MultiThreshold", np.array([[0.5, 2.0, 9.0]], np.float32), qonnx=True, out_dtype="UINT2"
    )
    after = check(chain.model(SHAPE), RoundThresholdsToIntegers(), floats(SHAPE))
    first, second = (after.get_initializer(n.input[1]) for n in after.graph.node[1:])
    assert np.array_equal(first, [[0.5, 1.5, 2.5]]) and np.array_equal(second, [[1, 2, 4]])


def test_thresholds_given_at_run_time_are_not_rewritten():
    chain = Chain(SHAPE)
    t_input = chain.builder.add_input("t", [2, 2])
    model = chain.op("MultiThreshold", t_input, qonnx=True, out_dtype="UINT2").model(
        SHAPE, input_dtype="INT4"
    )
    feed = {"x": integers(SHAPE, -8, 8), "t": np.array([[-0.5, 0.5], [1.5, 2.5]], np.float32)}
    after = verified_transform(model, RoundThresholdsToIntegers(), feed)
    assert after.graph.node[0].input[1] == t_input
