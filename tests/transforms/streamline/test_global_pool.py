"""Global average pooling streamlines: a scale in front moves behind the pool (any sign,
scalar or per channel), an integer mean becomes ReduceSum + Mul(1/(H*W)), and in a whole
Streamline the scales end in the next thresholds, which read the integer sum."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.transforms.streamline import Streamline
from qnnflow.transforms.streamline.global_mean_to_sum import GlobalMeanToSum
from qnnflow.transforms.streamline.global_pool_nodes import spatial_pool_problem
from qnnflow.transforms.streamline.move_mul_past_global_pool import MoveMulPastGlobalPool
from tests.transforms.streamline.graphs import (
    Chain,
    check,
    constants_first,
    integers,
    op_types,
    thresholds_of,
)

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


@pytest.mark.parametrize("pixels, converts", [((16, 16), True), ((16, 17), False)])
def test_a_sum_float32_cannot_hold_exactly_stays_a_mean(pixels, converts):
    """INT17 over 256 pixels sums into INT25 (|min| = 2**24: exact in float32); 272 pixels
    need INT26."""
    shape = [1, 2, *pixels]
    model = _pool(Chain(shape), "GlobalAveragePool").model([1, 2, 1, 1], input_dtype="INT17")
    x = integers(shape, -(2**16), 2**16)
    x[0, 0] = -(2**16)  # the sum at the type's end
    after = check(model, GlobalMeanToSum(), x, rtol=1e-6)
    assert op_types(after) == (["ReduceSum", "Mul"] if converts else ["GlobalAveragePool"])


@pytest.mark.parametrize("opset, axes_input", [(11, False), (12, False), (13, True), (17, True)])
def test_the_sum_takes_its_axes_the_way_the_opset_asks(opset, axes_input):
    """ReduceSum's axes are an attribute before opset 13 and an input from 13 on; the new
    nodes are named after the pool (its output name when it has none)."""
    model = _pool(Chain([1, 3, 3, 5]), "ReduceMean", keepdims=0).model([1, 3], "INT4")
    model.model.opset_import[0].version = opset
    model.graph.node[0].name = ""
    assert GlobalMeanToSum().apply(model)[1] is True
    reduce, mul = model.graph.node
    assert (reduce.name, mul.name) == ("reducemean_sum", "reducemean_scale")
    assert len(reduce.input) == (2 if axes_input else 1)
    if axes_input:
        assert model.get_initializer(reduce.input[1]).tolist() == [2, 3]
    else:
        assert [list(a.ints) for a in reduce.attribute if a.name == "axes"] == [[2, 3]]
    assert [a.i for a in reduce.attribute if a.name == "keepdims"] == [0]
    fresh = _pool(Chain([1, 3, 3, 5]), "ReduceMean", keepdims=0).model([1, 3], "INT4")
    fresh.model.opset_import[0].version = opset
    after = check(fresh, GlobalMeanToSum(), integers([1, 3, 3, 5], -8, 8), rtol=1e-6)
    assert op_types(after) == ["ReduceSum", "Mul"]


def _reduce(axes=None, axes_input=None, shape=(1, 3, 4, 4)):
    g = Chain(list(shape))
    consts = [axes_input] if axes_input is not None else []
    attrs = {"axes": axes} if axes is not None else {}
    op_type = "ReduceSum" if consts else "ReduceMean"  # opset 17: axes input or attribute
    model = g.op(op_type, *consts, keepdims=1, **attrs).model([1, 3, 1, 1])
    return model, model.graph.node[-1]


@pytest.mark.parametrize(
    "axes, message",
    [
        ([2, 3], None),
        ([-2, -1], None),  # counted from the end
        ([3, 2], None),
        ([1, 2], "axes=[1, 2] are not the spatial axes [2, 3]"),
        ([2], "axes=[2] are not the spatial axes [2, 3]"),
        (None, "reduces over every axis (no axes given), not over H and W"),
    ],
)
def test_spatial_pool_problem_names_the_axes(axes, message):
    model, node = _reduce(axes=axes)
    assert spatial_pool_problem(model, node) == message


def test_spatial_pool_problem_refuses_run_time_axes_and_other_ranks():
    model, node = _reduce(axes_input=np.array([2, 3], np.int64))
    assert spatial_pool_problem(model, node) is None
    model.del_initializer(node.input[1])  # now computed at run time
    assert spatial_pool_problem(model, node) == f"axes '{node.input[1]}' are not a constant"
    chain = Chain([1, 3, 4]).op("GlobalAveragePool")
    model = chain.model([1, 3, 1])
    assert spatial_pool_problem(model, model.graph.node[0]) == "input shape [1, 3, 4] is not NCHW"
    relu = Chain([1, 3, 4, 4]).op("Relu").model([1, 3, 4, 4])
    assert spatial_pool_problem(relu, relu.graph.node[0]) == "Relu is not a global pooling"


@pytest.mark.parametrize("channels, keepdims", [(2, 0), (2, 1), (3, 0)])
def test_channel_scales_take_the_pooled_shape_and_a_scalar_stays_one(channels, keepdims):
    """In order: a Relu, then Mul(c, x) -> ReduceMean; a per-channel c is reshaped to the
    pooled output, a scalar stays a scalar; the pass says it changed the graph."""
    shape = [1, channels, 4, 4]
    out = [1, channels, 1, 1] if keepdims else [1, channels]
    for scale in (np.arange(1, channels + 1, dtype=np.float32).reshape(1, -1, 1, 1) / 4, 0.5):
        chain = Chain(shape).op("Relu").op("Mul", np.asarray(scale, np.float32))
        mul = chain.head
        model = _pool(chain, "ReduceMean", keepdims).model(out, input_dtype="INT4")
        model = constants_first(model, mul)
        after = check(model, MoveMulPastGlobalPool(), integers(shape, -8, 8), rtol=1e-6)
        assert op_types(after) == ["Relu", "ReduceMean", "Mul"]
        moved = after.get_initializer(after.graph.node[-1].input[1])
        assert moved.shape == (
            () if np.ndim(scale) == 0 else tuple([1, channels, 1, 1][: len(out)])
        )
        model = constants_first(_pool(chain, "ReduceMean", keepdims).model(out, "INT4"), mul)
        assert MoveMulPastGlobalPool().apply(model)[1] is True
