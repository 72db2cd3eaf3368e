"""DuplicateStreams' C++ kernel: every output carries the input stream unchanged, for two
and three outputs, every legal SIMD, signed, unsigned and BIPOLAR elements; simulated cycles
equal the op's cycles()."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.duplicate_streams import render
from qnnflow.ops import DOMAIN, FoldingError
from tests.backends.hls.test_concat_cpp import frames
from tests.ops.helpers import op_of


def fork_model(n: int, simd: int, shape: list[int], dtype: str) -> ModelWrapper:
    outs = [f"y{i}" for i in range(n)]
    node = helper.make_node(
        "DuplicateStreams",
        ["x"],
        outs,
        name="fork",
        domain=DOMAIN,
        shape=shape,
        NumOutputStreams=n,
        SIMD=simd,
        inputDataType=dtype,
        outputDataType=dtype,
    )
    graph = helper.make_graph(
        [node],
        "d",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, shape) for o in outs],
    )
    model = ModelWrapper(helper.make_model(graph))
    model.set_tensor_datatype("x", DataType[dtype])
    return model.transform(InferShapes())


@pytest.mark.parametrize(
    "n,simd,shape,dtype",
    [
        (2, 1, [1, 3, 5, 4], "UINT3"),
        (2, 2, [1, 3, 5, 4], "INT4"),
        (2, 4, [1, 3, 5, 4], "INT8"),
        (3, 3, [1, 1, 7, 6], "BIPOLAR"),
        (3, 2, [1, 6], "INT2"),  # a [1, C] vector after a fully connected layer
    ],
)
def test_every_output_carries_the_input(n, simd, shape, dtype):
    model = fork_model(n, simd, shape, dtype)
    x = frames(np.random.default_rng(n * simd), dtype, shape)
    outputs = [execute_onnx(model, {"x": f.astype(np.float32)}) for f in x]
    expected = np.stack(
        [np.concatenate([out[f"y{i}"].ravel() for i in range(n)]) for out in outputs]
    )
    result = simulate_layer(render(model, model.graph.node[0]), [x])
    np.testing.assert_array_equal(result.stream, expected)
    np.testing.assert_array_equal(result.stream[:, : x[0].size], x.reshape(3, -1))
    assert result.cycles_per_frame == op_of(model).cycles()


def test_illegal_simd_is_refused_before_any_code():
    model = fork_model(2, 3, [1, 2, 2, 4], "UINT3")
    with pytest.raises(FoldingError, match="SIMD=3 must divide channels=4"):
        render(model, model.graph.node[0])
