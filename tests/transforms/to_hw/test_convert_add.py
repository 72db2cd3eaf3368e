"""A residual connection (conv -> conv, the sum of both activations into a third conv) becomes
hardware: one StreamingAdd typed for the sum, a fork of the shared stream, only the boundary
Transposes on the host; numpy before/after and the stitched C++ simulation agree bit-exactly.
Adds that cannot be streams stay on the host with their reason."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.backends.hls.network_sim import first_mismatch
from qnnflow.ops import DOMAIN
from qnnflow.ops.graph_queries import hw_op
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.transforms.to_hw.convert_add import reason_not_convertible
from qnnflow.verify import verified_transform
from tests.transforms.to_hw.yolo_like import _Builder


def residual_model(size: int = 6, seed: int = 0) -> ModelWrapper:
    b = _Builder(seed)
    a0 = b.conv_act("x", "conv0", 4, 8, 3)
    a1 = b.conv_act(a0, "conv1", 8, 8, 3, signed_out=True)
    b.nodes.append(helper.make_node("Add", [a0, a1], ["sum"], name="residual"))
    out = b.conv_act("sum", "conv2", 8, 4, 1)
    graph = helper.make_graph(
        b.nodes,
        "residual",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, size, size])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 4, size, size])],
        initializer=b.inits,
    )
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    model.set_tensor_datatype("x", DataType["UINT3"])
    return model.transform(InferShapes()).transform(InferDataTypes())


def inputs(size: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.integers(0, 8, size=(1, 4, size, size)).astype(np.float32)}


@pytest.mark.parametrize("size,seed", [(6, 0), (5, 1)])
def test_residual_add_converts_and_simulates_bit_exactly(size, seed):
    model = residual_model(size, seed)
    hw = verified_transform(model, ConvertToHW(), inputs(size, seed + 3))
    ops = [n.op_type for n in hw.graph.node]
    assert ops.count("Transpose") == 2  # the input and the output
    assert ops.count("StreamingAdd") == 1 and ops.count("DuplicateStreams") == 1
    add = hw_op(next(n for n in hw.graph.node if n.op_type == "StreamingAdd"))
    assert add.get_nodeattr("inputDataTypes") == ["UINT3", "INT3"]
    assert add.output_dtype() == DataType["INT5"]  # [0 - 4, 7 + 3] needs INT5
    swg = next(n for n in hw.graph.node if n.name == "conv2_swg")
    assert hw_op(swg).input_dtype() == DataType["INT5"]  # not qonnx's INT32
    for x in (inputs(size, seed)["x"], np.full((1, 4, size, size), 7, dtype=np.float32)):
        mismatch, sim = first_mismatch(hw, x)
        assert mismatch is None, str(mismatch)
    assert sim.cycles[add.onnx_node.name] == add.cycles()


def _single_add(a_shape, b_shape, b_const=False, dtype="UINT3") -> tuple[ModelWrapper, object]:
    b = _Builder(0)
    a0 = b.conv_act("x", "conv0", 4, 8, 3)
    other = b.const("c", np.ones(b_shape)) if b_const else b.conv_act(a0, "conv1", 8, 8, 3)
    if not b_const and b_shape != a_shape:
        b.nodes.append(helper.make_node("ReduceMax", [other], ["r"], name="r", axes=[2, 3]))
        other = "r"
    b.nodes.append(helper.make_node("Add", [a0, other], ["y"], name="add"))
    graph = helper.make_graph(
        b.nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=b.inits,
    )
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    model.set_tensor_datatype("x", DataType[dtype])
    model = model.transform(InferShapes()).transform(InferDataTypes())
    return model, next(n for n in model.graph.node if n.name == "add")


def test_adds_that_are_not_two_streams_stay_on_the_host_with_a_reason():
    model, add = _single_add([1, 8, 4, 4], [1, 8, 1, 1], b_const=True)
    assert reason_not_convertible(model, add) == (
        "input 'c' is a constant (a bias: streamlining folds it into thresholds)"
    )
    model, add = _single_add([1, 8, 4, 4], [1, 8, 1, 1])
    model.set_tensor_datatype("r", DataType["UINT3"])
    assert reason_not_convertible(model, add) == (
        "input shapes [1, 8, 4, 4] and [1, 8, 1, 1] differ (no broadcasting in hardware)"
    )
    nodes = [helper.make_node("Add", ["x", "x2"], ["y"], name="add")]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(t, TensorProto.FLOAT, [1, 2]) for t in ("x", "x2")],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
    )
    model = ModelWrapper(helper.make_model(graph))
    for t in ("x", "x2"):
        model.set_tensor_datatype(t, DataType["UINT3"])
    assert reason_not_convertible(model, model.graph.node[0]) == (
        "input 'x' is a graph input, not a hardware stream"
    )
    assert all(n.domain != DOMAIN for n in model.transform(ConvertToHW()).graph.node)
