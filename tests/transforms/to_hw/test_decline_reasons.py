"""Every conversion answers the to_hw protocol (ORDER, OP_TYPES, decline_reason), converts
exactly the nodes it does not decline, and names the attribute or datatype when it declines."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.analysis.host_nodes import host_nodes
from qnnflow.transforms.to_hw import ConvertToHW, conversions
from qnnflow.transforms.to_hw.convert_conv_threshold import ConvertConvThresholdToHW
from qnnflow.transforms.to_hw.convert_maxpool import ConvertMaxPoolToHW
from qnnflow.transforms.to_hw.convert_pad import ConvertPadToHW
from tests.transforms.to_hw.test_convert_to_hw import streamlined_model

MT = "qonnx.custom_op.general"


def test_every_conversion_declares_the_protocol():
    for conversion in conversions():
        assert isinstance(conversion.ORDER, int)
        assert conversion.OP_TYPES and all(isinstance(t, str) for t in conversion.OP_TYPES)
        assert callable(conversion.decline_reason)


def test_a_conversion_without_the_protocol_is_refused(monkeypatch):
    monkeypatch.delattr(ConvertPadToHW, "OP_TYPES")
    with pytest.raises(TypeError, match="ConvertPadToHW: a conversion declares OP_TYPES"):
        conversions()


def _reasons(model: ModelWrapper) -> dict[str, str | None]:
    """Each anchor node's reasons from the conversions that claim its op type, None when one
    of them takes it."""
    found: dict[str, list[str | None]] = {}
    for conversion in conversions():
        for node in model.graph.node:
            if node.op_type in conversion.OP_TYPES and node.op_type != "MultiThreshold":
                found.setdefault(node.name, []).append(conversion.decline_reason(model, node))
    return {name: None if None in why else "; ".join(why) for name, why in found.items()}


@pytest.mark.parametrize("input_type", ["UINT3", "FLOAT32"])
def test_converted_exactly_when_not_declined(input_type):
    model = streamlined_model(weight_kind="int3")
    model.set_tensor_datatype("x", DataType[input_type])
    model = model.transform(InferDataTypes())
    reasons = _reasons(model)
    assert set(reasons) == {"conv0", "pool0", "conv1", "pool1"}
    after = {n.name for n in model.transform(ConvertToHW()).graph.node}
    for name, reason in reasons.items():
        assert (name in after) == (reason is not None), (name, reason)
    if input_type == "FLOAT32":
        assert reasons["conv0"] == "; ".join(["Conv input datatype FLOAT32 is not integer"] * 2)


def _one_conv(
    weights: np.ndarray,
    input_type: str = "UINT3",
    bias: bool = False,
    reader: str = "MultiThreshold",
    mt_attrs: dict | None = None,
    **conv_attrs,
) -> ModelWrapper:
    """x (1x4x6x6) -> Conv -> reader (a MultiThreshold with `mt_attrs`, or a Relu)."""
    cout = weights.shape[0]
    inits = [helper.make_tensor("w", TensorProto.FLOAT, weights.shape, weights.ravel())]
    inputs = ["x", "w"]
    if bias:
        inits.append(helper.make_tensor("b", TensorProto.FLOAT, [cout], np.ones(cout)))
        inputs.append("b")
    nodes = [helper.make_node("Conv", inputs, ["acc"], name="conv", **conv_attrs)]
    if reader == "MultiThreshold":
        t = np.tile(np.arange(-3.0, 4.0), (cout, 1))
        inits.append(helper.make_tensor("t", TensorProto.FLOAT, t.shape, t.ravel()))
        attrs = {"out_dtype": "UINT3", **(mt_attrs or {})}
        nodes.append(helper.make_node(reader, ["acc", "t"], ["y"], name="mt", domain=MT, **attrs))
    else:
        nodes.append(helper.make_node(reader, ["acc"], ["y"], name="act"))
    graph = helper.make_graph(
        nodes,
        "one_conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=inits,
    )
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    model.set_tensor_datatype("x", DataType[input_type])
    return model.transform(InferShapes()).transform(InferDataTypes())


W = np.random.default_rng(0).integers(-2, 3, size=(4, 4, 3, 3)).astype(np.float32)
SCALED_MT = {"out_scale": 3.0, "out_bias": 0.0, "out_dtype": "UINT2"}


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({}, None),
        ({"input_type": "FLOAT32"}, "Conv input datatype FLOAT32 is not integer"),
        (
            {"mt_attrs": SCALED_MT},
            "MultiThreshold 'mt': out_scale 3, out_bias 0 (only out_scale 1 with an integer "
            "out_bias, or the bipolar 2 / -1)",
        ),
        ({"weights": W + 0.5}, "weights are not integers"),
        ({"weights": W[:, :2], "group": 2}, "group=2 (grouped/depthwise conv) not supported"),
        ({"weights": W[:, :, :1, :]}, "kernel 1x3 is not a square 2D kernel"),
        ({"dilations": [2, 2]}, "dilations=[2, 2] not supported"),
        ({"bias": True}, "has a bias input (streamlining folds biases into the thresholds)"),
    ],
)
def test_conv_decline_reasons(kwargs, reason):
    kwargs = {"weights": W, **kwargs}
    model = _one_conv(**kwargs)
    conv = model.get_node_from_name("conv")
    assert ConvertConvThresholdToHW.decline_reason(model, conv) == reason
    hw = model.transform(ConvertToHW())
    assert (hw.get_node_from_name("conv") is not None) == (reason is not None)
    if reason is not None:  # the report carries the conversion's own words
        listed = {n.name: n.reason for n in host_nodes(hw)}
        assert listed["conv"].startswith(f"ConvertConvThresholdToHW: {reason}; ")
        assert "; ConvertConvLinearToHW: " in listed["conv"]
        if "mt" in listed:  # each conversion that fuses MultiThresholds says why not
            assert listed["mt"].startswith(
                "ConvertConvThresholdToHW: fused with Conv 'conv', which stays on the host "
                "(see its reason); ConvertFCThresholdToHW: only a MultiThreshold after a "
                "Gemm/MatMul"
            )


def _one_node(op_type: str, input_type: str, inits: dict, inputs: list[str], **attrs):
    tensors = [
        helper.make_tensor(
            name,
            TensorProto.INT64 if name == "pads" else TensorProto.FLOAT,
            np.shape(value),
            np.ravel(value),
        )
        for name, value in inits.items()
    ]
    node = helper.make_node(op_type, ["x", *inputs], ["y"], name="node", **attrs)
    graph = helper.make_graph(
        [node],
        "one_node",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=tensors,
    )
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    model.set_tensor_datatype("x", DataType[input_type])
    return model.transform(InferShapes())


@pytest.mark.parametrize(
    ("input_type", "attrs", "reason"),
    [
        ("UINT3", {"kernel_shape": [2, 2], "strides": [2, 2]}, None),
        ("FLOAT32", {"kernel_shape": [2, 2]}, "MaxPool input datatype FLOAT32 is not integer"),
        ("UINT3", {"kernel_shape": [2, 3]}, "kernel_shape=[2, 3] is not square 2D"),
        ("UINT3", {"kernel_shape": [2, 2], "strides": [1, 2]}, "strides=[1, 2] differ"),
        (
            "UINT3",
            {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER"},
            "auto_pad=SAME_UPPER not supported (explicit pads are)",
        ),
    ],
)
def test_maxpool_decline_reasons(input_type, attrs, reason):
    model = _one_node("MaxPool", input_type, {}, [], **attrs)
    got = ConvertMaxPoolToHW.decline_reason(model, model.graph.node[0])
    assert got == reason or (reason is not None and got.startswith(reason))
    converted = model.transform(ConvertToHW()).get_node_from_name("node") is None
    assert converted == (reason is None)


@pytest.mark.parametrize(
    ("pads", "value", "mode", "reason"),
    [
        ([0, 0, 1, 1, 0, 0, 1, 1], 0.0, "constant", None),
        ([0, 0, 1, 1, 0, 0, 1, 1], 0.0, "reflect", "mode=reflect (only constant zero padding)"),
        ([0, 0, 1, 1, 0, 0, 1, 1], 2.0, "constant", "pad value 2.0 is not 0"),
        ([0, 1, 0, 0, 0, 0, 0, 0], 0.0, "constant", "pads [0, 1, 0, 0, 0, 0, 0, 0] pad the"),
        ([0, 0, -1, 0, 0, 0, 0, 0], 0.0, "constant", "pads [0, 0, -1, 0, 0, 0, 0, 0] crop"),
    ],
)
def test_pad_decline_reasons(pads, value, mode, reason):
    model = _one_node("Pad", "UINT3", {"pads": pads, "value": value}, ["pads", "value"], mode=mode)
    got = ConvertPadToHW.decline_reason(model, model.graph.node[0])
    assert got == reason or (reason is not None and got.startswith(reason))
    converted = model.transform(ConvertToHW()).get_node_from_name("node") is None
    assert converted == (reason is None)
