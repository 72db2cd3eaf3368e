"""Shape and Size nodes over tensors whose shape import fixed (the symbolic batch is 1) fold
to constants, so a Reshape fed by a shape computation gets a static output shape; the model
still computes what the file computes."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from qnnflow.errors import OnnxError
from qnnflow.frontend.onnx_import import load_onnx
from qnnflow.util.execute import run_qonnx


def _flatten_by_shape(opset: int = 13, start: int | None = None) -> onnx.ModelProto:
    """x [N, 2, 3, 4] -> y = Reshape(x, concat(shape(x)[0], -1)) + Size(x) / 1000."""
    shape_attrs = {} if start is None else {"start": start, "end": start + 1}
    index = 0 if start is None else start
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], **shape_attrs),
        helper.make_node("Gather", ["s", "i"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "axes"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"]),
        helper.make_node("Size", ["x"], ["size"]),
        helper.make_node("Cast", ["size"], ["size_f"], to=TensorProto.FLOAT),
        helper.make_node("Div", ["size_f", "thousand"], ["small"]),
        helper.make_node("Add", ["flat", "small"], ["y"]),
    ]
    inits = [
        helper.make_tensor("i", TensorProto.INT64, [], [index]),
        helper.make_tensor("axes", TensorProto.INT64, [1], [0]),
        helper.make_tensor("minus1", TensorProto.INT64, [1], [-1]),
        helper.make_tensor("thousand", TensorProto.FLOAT, [], [1000.0]),
    ]
    graph = helper.make_graph(
        nodes,
        "flatten_by_shape",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", None])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


@pytest.mark.parametrize(("opset", "start"), [(13, None), (15, 0)])
def test_shape_computation_folds_to_a_static_reshape(opset, start, tmp_path):
    proto = _flatten_by_shape(opset, start)
    path = tmp_path / "flatten.onnx"
    onnx.save(proto, str(path))
    model = load_onnx(path)
    assert [n.op_type for n in model.graph.node] == ["Reshape", "Add"]
    assert model.get_tensor_shape("flat") == [1, 24] and model.get_tensor_shape("y") == [1, 24]
    x = np.random.default_rng(0).random((1, 2, 3, 4), dtype=np.float32)
    want = ort.InferenceSession(str(path)).run(None, {"x": x})[0]
    np.testing.assert_array_equal(run_qonnx(model, x)["y"], want)


def test_a_data_dependent_shape_is_named(tmp_path):
    """NonZero's output length depends on the values: no static shape exists."""
    nodes = [helper.make_node("NonZero", ["x"], ["y"], name="nz")]
    graph = helper.make_graph(
        nodes,
        "nonzero",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.INT64, [2, "k"])],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    proto.ir_version = 8
    path = tmp_path / "nonzero.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(OnnxError, match="node 'nz' output 'y' has no static shape .*run time"):
        load_onnx(path)
