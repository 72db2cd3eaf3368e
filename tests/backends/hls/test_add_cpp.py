"""StreamingAdd's C++ kernel against the op's numpy execution, bit-exactly: every legal PE,
unsigned, signed and BIPOLAR inputs, sums at both ends of the output type, [1, C] vectors and
channel-group-major inputs; simulated cycles equal the op's cycles()."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.add import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN, FoldingError
from qnnflow.ops.add import sum_type
from qnnflow.packing import to_group_major
from tests.backends.hls.test_concat_cpp import frames
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.ops.helpers import op_of


def add_model(
    shape: list[int], dtype: str, pe: int = 1, out: str | None = None, dtype1: str | None = None
) -> ModelWrapper:
    dtype1 = dtype1 or dtype
    node = helper.make_node(
        "StreamingAdd",
        ["x", "x1"],
        ["y"],
        name="add",
        domain=DOMAIN,
        NumChannels=shape[-1],
        PE=pe,
        numInputVectors=shape[:-1],
        inputDataTypes=[dtype, dtype1],
        outputDataType=out or sum_type(DataType[dtype], DataType[dtype1]).name,
    )
    graph = helper.make_graph(
        [node],
        "a",
        # x last: behind_mvu replaces the last graph input by a MatrixVectorUnit's output
        [helper.make_tensor_value_info(t, TensorProto.FLOAT, shape) for t in ("x1", "x")],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
    )
    model = ModelWrapper(helper.make_model(graph))
    model.set_tensor_datatype("x", DataType[dtype])
    model.set_tensor_datatype("x1", DataType[dtype1])
    return model.transform(InferShapes())


def inputs_and_expected(model, seed):
    op = op_of(model)
    shape = list(op.normal_input_shape())
    rng = np.random.default_rng(seed)
    a, b = (frames(rng, op.input_dtype(i).name, shape) for i in range(2))
    # frame 1 is min + min, frame 2 max + max; frame 0 starts with min + max
    a.reshape(3, -1)[0, :3], b.reshape(3, -1)[0, :3] = a[1].flat[0], b[2].flat[0]
    feeds = [{"x": a[f].astype(np.float32), "x1": b[f].astype(np.float32)} for f in range(3)]
    expected = np.stack([execute_onnx(model, feed)["y"].ravel() for feed in feeds])
    return a, b, expected


@pytest.mark.parametrize(
    "shape,dtypes,pe",
    [
        ([1, 3, 5, 4], ("UINT3", "UINT3"), 1),
        ([1, 3, 5, 4], ("UINT3", "UINT3"), 2),
        ([1, 3, 5, 4], ("INT4", "INT4"), 4),
        ([1, 2, 3, 6], ("UINT8", "INT8"), 3),  # Brevitas: a ReLU branch beside an identity
        ([1, 1, 7, 2], ("BIPOLAR", "BIPOLAR"), 2),  # codes are -1/+1: sums -2, 0, 2
        ([1, 3, 1, 4], ("INT2", "BIPOLAR"), 4),
        ([1, 6], ("UINT8", "UINT8"), 6),  # a [1, C] vector
    ],
)
def test_add_matches_numpy(shape, dtypes, pe):
    model = add_model(shape, dtypes[0], pe, dtype1=dtypes[1])
    a, b, expected = inputs_and_expected(model, pe + len(shape))
    low, high = (sum(getattr(DataType[d], end)() for d in dtypes) for end in ("min", "max"))
    assert expected.max() == high and expected.min() == low  # both ends of the sum
    result = simulate_layer(render(model, model.graph.node[0]), [a, b])
    np.testing.assert_array_equal(result.stream, expected)
    assert result.cycles_per_frame == op_of(model).cycles()


@pytest.mark.parametrize("groups,pe", [(2, 2), (4, 1)])
def test_group_major_inputs_are_added_in_their_order(groups, pe):
    model = add_model([1, 3, 3, 8], "INT4", pe)
    a, b, expected = inputs_and_expected(model, groups)
    cycles = op_of(model).cycles()
    model = behind_mvu(model, groups)
    model.graph.node.insert(
        1,
        helper.make_node(
            "MatrixVectorUnit",
            ["x_mvu", "w_mvu"],
            ["x1"],
            name="second_mvu",
            domain=DOMAIN,
            **{a.name: helper.get_attribute_value(a) for a in model.graph.node[0].attribute},
        ),
    )
    second = next(i for i in model.graph.input if i.name == "x1")
    model.graph.input.remove(second)
    model.graph.value_info.append(second)
    result = simulate_layer(
        render(model, model.graph.node[2]),
        [to_group_major(a, groups), to_group_major(b, groups)],
    )
    np.testing.assert_array_equal(
        result.stream, to_group_major(expected.reshape(a.shape[0], 1, 3, 3, 8), groups)
    )
    assert result.cycles_per_frame == cycles


def test_bad_adds_are_refused_before_any_code():
    model = add_model([1, 2, 2, 4], "UINT3", pe=3)
    with pytest.raises(FoldingError, match="PE=3 must divide channels=4"):
        render(model, model.graph.node[0])
    model = add_model([1, 2, 2, 4], "UINT3", out="UINT3")
    with pytest.raises(
        FoldingError, match="UINT3 cannot hold sums in \\[0, 14\\] of UINT3 and UINT3.*use UINT4"
    ):
        render(model, model.graph.node[0])
    model = behind_mvu(add_model([1, 2, 2, 8], "UINT3", pe=1), 2)
    with pytest.raises(QnnflowError, match="different channel-group orders \\(2 and 1 groups"):
        render(model, model.graph.node[1])
