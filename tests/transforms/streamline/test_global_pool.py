"""Global average pooling streamlines: a scale in front moves behind the pool (any sign,
scalar or per channel), an integer mean becomes ReduceSum + Mul(1/(H*W)), and in a whole
Streamline the scales end in the next thresholds, which read the integer sum."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.transforms.streamline import Streamline
from qnnflow.transforms.streamline.global_mean_to_sum import GlobalMeanToSum
from qnnflow.transforms.streamline.move_mul_past_global_pool import MoveMulPastGlobalPool
from tests.transforms.streamline.graphs import Chain, check, integers, op_types, thresholds_of

CHANNEL_SCALE = np.array([0.5, -0.25, 2.0]).reshape(1, 3, 1, 1)


def _pool(chain: Chain, op_type: str, keepdims: int = 1) -> Chain:
    if op_type == "GlobalAveragePool":
        return chain.op(op_type)
    if op_type == "ReduceSum":
        return chain.op(op_type, chain.builder.const("axes", np.array([2, 3]), np.int64))
    return chain.op(op_type, axes=[2, 3], keepdims=keepdims)


@pytest.mark.parametrize(
    "op_type,keepdims,scale",
    [
        ("GlobalAveragePool", 1, 0.75),
        ("ReduceMean", 0, CHANNEL_SCALE),
        ("ReduceSum", 1, CHANNEL_SCALE),
    ],
)
def test_a_scale_moves_behind_a_global_pool(op_type, keepdims, scale):
    chain = _pool(Chain([1, 3, 4, 5]).op("Mul", np.asarray(scale, np.float32)), op_type, keepdims)
    model = chain.model([1, 3, 1, 1] if keepdims else [1, 3], input_dtype="UINT4")
    after = check(model, MoveMulPastGlobalPool(), integers([1, 3, 4, 5], 0, 16), rtol=1e-6)
    assert op_types(after) == [op_type, "Mul"]


def test_a_scale_on_another_axis_stays():
    chain = Chain([1, 3, 4, 4]).op("Mul", np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1))
    model = _pool(chain, "ReduceSum").model([1, 3, 1, 1], input_dtype="UINT4")
    assert op_types(model.transform(MoveMulPastGlobalPool())) == ["Mul", "ReduceSum"]


@pytest.mark.parametrize("op_type,keepdims", [("GlobalAveragePool", 1), ("ReduceMean", 0)])
def test_an_integer_mean_becomes_a_sum_and_a_scale(op_type, keepdims):
    model = _pool(Chain([1, 3, 3, 5]), op_type, keepdims).model(
        [1, 3, 1, 1] if keepdims else [1, 3], input_dtype="INT4"
    )
    after = check(model, GlobalMeanToSum(), integers([1, 3, 3, 5], -8, 8), rtol=1e-6)
    assert op_types(after) == ["ReduceSum", "Mul"]
    total = after.graph.node[0].output[0]
    assert after.get_tensor_datatype(total) == DataType["INT8"]  # 15 * [-8, 7]
    assert float(after.get_initializer(after.graph.node[1].input[1])) == np.float32(1 / 15)


def test_a_float_mean_stays():
    model = _pool(Chain([1, 3, 2, 2]), "GlobalAveragePool").model([1, 3, 1, 1])
    assert op_types(model.transform(GlobalMeanToSum())) == ["GlobalAveragePool"]


def test_streamline_puts_the_pool_scales_into_the_next_thresholds():
    chain = _pool(Chain([1, 3, 4, 4]).op("Mul", np.float32(0.3)), "GlobalAveragePool")
    chain.op("Flatten", axis=1)
    chain.op("MultiThreshold", np.array([[0.1, 0.5, 1.0, 2.0]], np.float32), qonnx=True,
             out_dtype="UINT3")  # fmt: skip
    model = chain.model([1, 3], input_dtype="UINT4")
    x = integers([1, 3, 4, 4], 0, 16)
    x[0, 0] = 15  # channel 0 at the top: 0.3 * 15 = 4.5 beyond every threshold
    after = check(model, Streamline(), x)
    assert op_types(after) == ["ReduceSum", "Flatten", "MultiThreshold"]
    assert after.get_tensor_datatype(after.graph.node[0].output[0]) == DataType["UINT8"]
    t = thresholds_of(after)
    np.testing.assert_array_equal(t, np.ceil(t))  # integers on the sum: 16 * T / 0.3
    np.testing.assert_array_equal(t, np.ceil(np.array([[0.1, 0.5, 1.0, 2.0]]) * 16 / 0.3))
