"""A conv read by no MultiThreshold (a detector's linear head) becomes a MatrixVectorUnit
emitting its integer accumulator, bit-exact on random and extreme inputs; the dequantizing
Mul and a bias stay on the host; a conv it cannot take keeps a reason."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.analysis.host_nodes import host_nodes
from qnnflow.ops.mvu import accumulator_range
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.transforms.to_hw.convert_conv_linear import ConvertConvLinearToHW
from qnnflow.transforms.to_hw.mvu_params import smallest_integer_type
from qnnflow.verify import verified_transform

RNG = np.random.default_rng(3)


def _heads(
    heads: int = 1,
    kernel: int = 1,
    input_type: str = "UINT3",
    bias: bool = False,
    weights: np.ndarray | None = None,
    size: int = 5,
) -> ModelWrapper:
    """x (1x6xSxS) -> `heads` x [Conv(int W[, b]) -> Mul(scale)], each head a graph output."""
    nodes, inits, outputs = [], [], []
    for i in range(heads):
        w = weights if weights is not None else RNG.integers(-128, 128, size=(7, 6, kernel, kernel))
        w = np.asarray(w, np.float32)
        inputs = ["x", f"w{i}"]
        inits.append(helper.make_tensor(f"w{i}", TensorProto.FLOAT, w.shape, w.ravel()))
        if bias:
            b = RNG.normal(size=w.shape[0]).astype(np.float32)
            inits.append(helper.make_tensor(f"b{i}", TensorProto.FLOAT, b.shape, b))
            inputs.append(f"b{i}")
        scale = RNG.uniform(0.01, 0.1, size=(1, w.shape[0], 1, 1)).astype(np.float32)
        inits.append(helper.make_tensor(f"s{i}", TensorProto.FLOAT, scale.shape, scale.ravel()))
        pads = [kernel // 2] * 4
        nodes.append(helper.make_node("Conv", inputs, [f"acc{i}"], name=f"head{i}", pads=pads))
        nodes.append(helper.make_node("Mul", [f"acc{i}", f"s{i}"], [f"y{i}"], name=f"deq{i}"))
        outputs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, None))
    graph = helper.make_graph(
        nodes,
        "heads",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6, size, size])],
        outputs,
        initializer=inits,
    )
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    model.set_tensor_datatype("x", DataType[input_type])
    return model.transform(InferShapes()).transform(InferDataTypes())


def _inputs(dtype: DataType, size: int = 5) -> list[np.ndarray]:
    """Random codes, all zeros, all at the top and all at the bottom of `dtype`."""
    shape = (1, 6, size, size)
    low, high = dtype.min(), dtype.max()
    return [
        RNG.integers(low, high + 1, size=shape).astype(np.float32),
        np.zeros(shape, np.float32),
        np.full(shape, high, np.float32),
        np.full(shape, low, np.float32),
    ]


@pytest.mark.parametrize(
    ("kernel", "input_type", "bias"),
    [(1, "UINT3", False), (3, "UINT8", True), (3, "INT4", False)],
)
def test_linear_conv_emits_the_accumulator_bit_exactly(kernel, input_type, bias):
    model = _heads(kernel=kernel, input_type=input_type, bias=bias)
    for x in _inputs(DataType[input_type]):
        hw = verified_transform(model, ConvertToHW(), {"x": x})
    ops = [n.op_type for n in hw.graph.node]
    expected = ["Transpose", *(["ZeroPad"] if kernel > 1 else []), "SlidingWindow"]
    expected += ["MatrixVectorUnit", "Transpose", *(["Add"] if bias else []), "Mul"]
    assert ops == expected
    mvu = getCustomOp(next(n for n in hw.graph.node if n.op_type == "MatrixVectorUnit"))
    assert mvu.get_nodeattr("numThresholds") == 0
    weights = hw.get_initializer(mvu.onnx_node.input[1])
    odt = DataType[mvu.get_nodeattr("outputDataType")]
    assert odt == smallest_integer_type(*accumulator_range(weights, DataType[input_type]))
    assert odt.is_integer() and odt.signed()  # +-128 weights: the sums take both signs


def test_every_linear_head_converts():
    model = _heads(heads=2)
    hw = verified_transform(model, ConvertToHW(), {"x": _inputs(DataType["UINT3"])[0]})
    assert [n.op_type for n in hw.graph.node].count("MatrixVectorUnit") == 2
    assert {n.op_type for n in host_nodes(hw)} == {"Transpose", "Mul"}


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"input_type": "FLOAT32"}, "Conv input datatype FLOAT32 is not integer"),
        ({"weights": np.full((7, 6, 1, 1), 0.5)}, "weights are not integers"),
    ],
)
def test_linear_conv_decline_reasons(kwargs, reason):
    model = _heads(**kwargs)
    conv = model.get_node_from_name("head0")
    assert ConvertConvLinearToHW.decline_reason(model, conv) == reason
    listed = {n.name: n.reason for n in host_nodes(model.transform(ConvertToHW()))}
    assert listed["head0"].endswith(f"; ConvertConvLinearToHW: {reason}")


def test_a_thresholded_conv_is_not_linear():
    from tests.transforms.to_hw.test_decline_reasons import SCALED_MT, W, _one_conv

    model = _one_conv(W, mt_attrs=SCALED_MT)  # the threshold conversion refuses its MT
    conv = model.get_node_from_name("conv")
    assert ConvertConvLinearToHW.decline_reason(model, conv) == (
        "output is read by MultiThreshold 'mt' (a thresholded conv, which "
        "ConvertConvThresholdToHW fuses, not a linear one)"
    )
    assert model.transform(ConvertToHW()).get_node_from_name("conv") is not None


def test_a_computed_bias_is_refused():
    model = _heads(bias=True)
    model.graph.initializer.remove(next(i for i in model.graph.initializer if i.name == "b0"))
    model.graph.input.append(helper.make_tensor_value_info("b0", TensorProto.FLOAT, [7]))
    conv = model.get_node_from_name("head0")
    assert ConvertConvLinearToHW.decline_reason(model, conv) == (
        "bias 'b0' is not a constant initializer"
    )
