"""ConvertFCThresholdToHW: Gemm/MatMul (+ MultiThreshold) -> one MatrixVectorUnit of one
input vector, bit-exact; layers the unit cannot run stay on the host untouched."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.ops.mvu import render
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.transforms.to_hw.convert_fc_threshold import ConvertFCThresholdToHW
from tests.transforms.streamline.graphs import Chain, check, op_types
from tests.transforms.to_hw.fc_graphs import conv_flatten_fc, int_weights, thresholds


def edge_inputs(shape, low: int, high: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    random = rng.integers(low, high, size=shape, endpoint=True).astype(np.float32)
    return [random, np.full(shape, low, np.float32), np.full(shape, high, np.float32)]


def check_all(model, transform, xs):
    for x in xs:
        after = check(model, transform, x)
    return after


@pytest.mark.parametrize("op_type,transposed", [("Gemm", True), ("Gemm", False), ("MatMul", False)])
def test_fc_and_thresholds_become_one_unit(op_type, transposed):
    rng = np.random.default_rng(1)
    w = int_weights(rng, [12, 6])
    attrs = {"transB": 1} if transposed else {}
    chain = Chain([1, 12]).op(op_type, w.T.copy() if transposed else w, **attrs)
    chain.op(
        "MultiThreshold", thresholds(rng, 6, 2, 20), qonnx=True, out_dtype="INT2", out_bias=-1.0
    )
    model = chain.model([1, 6], input_dtype="INT3")
    after = check_all(model, ConvertToHW(), edge_inputs([1, 12], -4, 3))
    assert op_types(after) == ["MatrixVectorUnit"]
    op = getCustomOp(after.graph.node[0])
    assert (op.get_nodeattr("MW"), op.get_nodeattr("MH")) == (12, 6)
    assert op.get_nodeattr("numInputVectors") == [1] and op.get_nodeattr("numThresholds") == 2
    assert op.get_nodeattr("ActVal") == -1 and op.get_nodeattr("outputDataType") == "INT2"
    assert np.array_equal(after.get_initializer(after.graph.node[0].input[1]), w)


def test_last_fc_outputs_its_accumulator_in_the_tightest_type():
    rng = np.random.default_rng(2)
    w = int_weights(rng, [10, 4], -1, 1)
    w[:, 0] = 1  # column 0 reaches 10 * 3 = 30 on the all-maximum input
    model = Chain([1, 10]).op("MatMul", w).op("Mul", np.float32(0.5)).model([1, 4], "UINT2")
    after = check_all(model, ConvertToHW(), edge_inputs([1, 10], 0, 3))
    assert op_types(after) == ["MatrixVectorUnit", "Mul"]
    op = getCustomOp(after.graph.node[0])
    assert op.get_nodeattr("numThresholds") == 0 and len(after.graph.node[0].input) == 2
    assert op.get_nodeattr("outputDataType") == "INT6"  # [-30, 30]
    render(after, after.graph.node[0])  # the kernel accepts the type (nothing wraps)


def test_bipolar_outputs_convert_and_bipolar_inputs_need_bipolar_weights():
    rng = np.random.default_rng(3)
    bipolar_out = {"qonnx": True, "out_dtype": "BIPOLAR", "out_scale": 2.0, "out_bias": -1.0}
    chain = Chain([1, 8]).op("MatMul", int_weights(rng, [8, 4]))
    chain.op("MultiThreshold", thresholds(rng, 4, 1, 5), **bipolar_out)
    model = chain.model([1, 4], input_dtype="INT3")
    after = check(model, ConvertFCThresholdToHW(), edge_inputs([1, 8], -4, 3)[0])
    assert op_types(after) == ["MatrixVectorUnit"]  # a sign activation is fused
    chain = Chain([1, 8]).op("MatMul", int_weights(rng, [8, 4])).op("Mul", np.float32(2.0))
    model = chain.model([1, 4], input_dtype="BIPOLAR")
    x = np.where(edge_inputs([1, 8], 0, 1)[0] > 0, 1.0, -1.0)
    after = check(model, ConvertFCThresholdToHW(), x)
    assert op_types(after) == ["MatMul", "Mul"]  # XNOR needs +-1 weights


def test_float_weights_and_batched_inputs_stay_on_the_host():
    rng = np.random.default_rng(4)
    model = Chain([1, 8]).op("MatMul", int_weights(rng, [8, 4]) + 0.5).model([1, 4], "INT3")
    after = check(model, ConvertFCThresholdToHW(), edge_inputs([1, 8], -4, 3)[0])
    assert op_types(after) == ["MatMul"]
    model = Chain([2, 8]).op("MatMul", int_weights(rng, [8, 4])).model([2, 4], "INT3")
    after = check(model, ConvertFCThresholdToHW(), edge_inputs([2, 8], -4, 3)[0])
    assert op_types(after) == ["MatMul"]


@pytest.mark.parametrize("size", [(1, 1), (2, 3)])
def test_fc_reads_the_conv_stream_directly(size):
    model = conv_flatten_fc(*size)
    after = check_all(model, ConvertToHW(), edge_inputs([1, 3, *size], 0, 3))
    types = op_types(after)
    assert "Reshape" not in types and "Gemm" not in types
    assert (
        types[-1] == "MatrixVectorUnit" and "Transpose" not in types[types.index("SlidingWindow") :]
    )
    fc = getCustomOp(after.graph.node[-1])
    assert fc.get_nodeattr("MW") == 4 * size[0] * size[1]
    assert after.get_tensor_shape(after.graph.node[-1].input[0]) == [1, *size, 4]
