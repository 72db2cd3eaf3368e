"""GlobalAccPool's C++ kernel against the op's numpy execution, bit-exactly: every legal PE,
unsigned, signed and BIPOLAR inputs, odd sizes, sums at both ends of the output type, and
channel-group-major inputs; simulated cycles equal the op's cycles(); bad folding and a
too-narrow output type are refused before any code."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.global_pool import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN, FoldingError
from qnnflow.ops.base import divisors
from qnnflow.ops.global_pool import pool_sum_type
from qnnflow.packing import to_group_major
from tests.backends.hls.test_concat_cpp import frames
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.ops.helpers import op_of


def pool_model(h: int, w: int, c: int, dtype: str, pe: int = 1, out: str | None = None):
    node = helper.make_node(
        "GlobalAccPool",
        ["x"],
        ["y"],
        name="gap",
        domain=DOMAIN,
        NumChannels=c,
        ImgDim=[h, w],
        PE=pe,
        inputDataType=dtype,
        outputDataType=out or pool_sum_type(DataType[dtype], h * w).name,
    )
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, h, w, c])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 1, c])],
    )
    model = ModelWrapper(helper.make_model(graph))
    model.set_tensor_datatype("x", DataType[dtype])
    return model.transform(InferShapes())


def inputs_and_expected(model, seed):
    """Random frame, all-minimum frame, all-maximum frame (both ends of the sum)."""
    x = frames(
        np.random.default_rng(seed),
        op_of(model).input_dtype().name,
        list(op_of(model).normal_input_shape()),
    )
    expected = np.stack([execute_onnx(model, {"x": f.astype(np.float32)})["y"].ravel() for f in x])
    return x, expected


CASES = [
    (3, 5, 4, "UINT3"),  # odd sizes
    (4, 4, 6, "INT4"),
    (1, 1, 3, "UINT8"),  # one pixel: the sum is the input
    (2, 3, 4, "BIPOLAR"),  # codes -1/+1
    (7, 7, 2, "INT8"),
]


@pytest.mark.parametrize("h,w,c,dtype", CASES)
def test_global_acc_pool_matches_numpy_at_every_pe(h, w, c, dtype):
    for pe in divisors(c):
        model = pool_model(h, w, c, dtype, pe)
        x, expected = inputs_and_expected(model, h * w + pe)
        dt, pixels = DataType[dtype], h * w
        assert expected[1].max() == pixels * dt.min() and expected[2].min() == pixels * dt.max()
        result = simulate_layer(render(model, model.graph.node[0]), [x])
        np.testing.assert_array_equal(result.stream, expected)
        assert result.cycles_per_frame == op_of(model).cycles() == pixels * c // pe


@pytest.mark.parametrize("groups,pe", [(2, 2), (4, 1), (2, 1)])
def test_group_major_inputs_are_summed_per_group(groups, pe):
    model = pool_model(3, 3, 8, "INT4", pe)
    x, expected = inputs_and_expected(model, groups)
    cycles = op_of(model).cycles()
    model = behind_mvu(model, groups)
    result = simulate_layer(render(model, model.graph.node[1]), [to_group_major(x, groups)])
    np.testing.assert_array_equal(result.stream, expected)  # 1x1 output: plain order
    assert result.cycles_per_frame == cycles


def test_bad_pools_are_refused_before_any_code():
    with pytest.raises(FoldingError, match="PE=3 must divide channels=4"):
        render(*_one(pool_model(2, 2, 4, "UINT3", pe=3)))
    with pytest.raises(
        FoldingError,
        match=r"UINT4 cannot hold sums in \[0, 28\] of 4 UINT3 values \(use UINT5\)",
    ):
        render(*_one(pool_model(2, 2, 4, "UINT3", out="UINT4")))
    model = behind_mvu(pool_model(2, 2, 8, "UINT3", pe=4), 4)
    with pytest.raises(QnnflowError, match="PE=4 must divide the 2 channels of each of the 4"):
        render(model, model.graph.node[1])


def _one(model):
    return model, model.graph.node[0]
