"""The to_hw report: every host node with its position and the conversions' reasons; a graph
with nothing in hardware, host nodes between hardware layers, or a region with two exits is
a problem, by the same region definition code generation uses."""

from __future__ import annotations

import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.hardware_region import hardware_region, host_nodes_inside
from qnnflow.analysis.host_nodes import host_nodes, host_report, host_summary, region_problem
from qnnflow.backends.hls import network
from qnnflow.errors import QnnflowError
from qnnflow.transforms.to_hw import ConvertToHW
from tests.transforms.to_hw.host_graphs import (
    CHANNELS,
    GraphBuilder,
    convs_then_host,
    float_gemm,
    split_by_softmax,
)

SUPPORTED = (
    "supported hardware conversions: ConvertUpsampleToHW (Resize, Upsample), "
    "ConvertConcatToHW (Concat), ConvertAddToHW (Add), "
    "ConvertConvThresholdToHW (Conv, MultiThreshold)"
)
LAYOUT = "NCHW<->NHWC layout change at the edge of hardware layer"


def test_host_nodes_between_hardware_layers_are_listed_with_reasons():
    hw = split_by_softmax().transform(ConvertToHW())
    problem = region_problem(hw, host_nodes(hw))
    lines = problem.splitlines()
    assert lines[0].startswith("4 host node(s) sit between hardware layers, splitting")
    assert "  Softmax 'softmax': no hardware conversion for op type Softmax" in lines
    assert (
        "  MultiThreshold 'requant': ConvertConvThresholdToHW: only a MultiThreshold after a "
        "Conv converts (fused); its input comes from Softmax 'softmax'; "
        "ConvertFCThresholdToHW: only a MultiThreshold after a Gemm/MatMul converts (fused); "
        "its input comes from Softmax 'softmax'; "
        "ConvertThresholdToHW: input datatype FLOAT32 is not integer"
    ) in lines
    assert (
        f"  Transpose 'conv0_to_nchw': {LAYOUT} 'conv0_mvu' (its other side stays on the host)"
        in lines
    )
    assert lines[-1].startswith(SUPPORTED) and "ConvertMaxPoolToHW (MaxPool)" in lines[-1]
    # the host node before the region is not part of the split
    assert not any("'quant_in'" in line for line in lines)


def test_one_region_definition_for_to_hw_and_codegen():
    hw = split_by_softmax().transform(ConvertToHW())
    inside = [n.name for n in host_nodes(hw) if n.position == "inside"]
    assert inside == [n.name for n in host_nodes_inside(hw)]
    assert network.hardware_region is hardware_region  # codegen renders by the same rule
    with pytest.raises(QnnflowError, match="Transpose 'conv0_to_nchw' \\(a host op\\) sits"):
        network.hardware_region(hw)


def test_nothing_in_hardware_lists_every_node():
    hw = float_gemm().transform(ConvertToHW())
    report = host_report(hw)
    assert report["hardware_layers"] == 0
    lines = report["problem"].splitlines()
    assert lines[0] == (
        "nothing converted to hardware: all 3 nodes stay on the host, so there is no "
        "accelerator to build:"
    )
    assert [line.split(":")[0] for line in lines[1:4]] == [
        "  MultiThreshold 'quant_in'",
        "  Flatten 'flatten'",
        "  Gemm 'fc'",
    ]
    assert "its input comes from a graph input" in lines[1]
    assert lines[-1].startswith(SUPPORTED)
    assert (
        host_summary(report)
        == "nothing in hardware; 3 nodes on the host (MultiThreshold, Flatten, Gemm)"
    )


def test_host_nodes_before_and_after_the_region_are_fine():
    hw = convs_then_host().transform(ConvertToHW())
    report = host_report(hw)
    assert report["problem"] is None
    positions = {n["name"]: n["position"] for n in report["host_nodes"]}
    assert positions == {
        "quant_in": "before",
        "conv0_to_nhwc": "before",
        "conv1_to_nchw": "after",
        "sigmoid": "after",
    }
    reasons = {n["name"]: n["reason"] for n in report["host_nodes"]}
    assert reasons["sigmoid"] == "no hardware conversion for op type Sigmoid"
    assert reasons["conv1_to_nchw"].startswith(f"{LAYOUT} 'conv1_mvu'")
    hardware = report["hardware_layers"]
    assert hardware == sum(report["hardware_ops"].values()) >= 5
    assert host_summary(report) == (
        f"{hardware} hardware layers; 4 nodes on the host, 2 before, 2 after the hardware "
        "region (Transpose x2, MultiThreshold, Sigmoid)"
    )
    assert {row["conversion"] for row in report["supported_conversions"]} >= {
        "ConvertConvThresholdToHW",
        "ConvertMaxPoolToHW",
    }


def test_a_region_with_two_entries_is_a_problem():
    """Two host quantizers of the input, each feeding a hardware conv, joined by a Concat."""
    g = GraphBuilder()
    a = g.quantize("x", "quant_a", CHANNELS, -1.5, 1.5)
    b = g.quantize("x", "quant_b", CHANNELS, -1.0, 1.0)
    a, b = g.conv_act(a, "conv_a", CHANNELS, 4), g.conv_act(b, "conv_b", CHANNELS, 4)
    hw = g.model(g.node("Concat", [a, b], "concat", axis=1)).transform(ConvertToHW())
    report = host_report(hw)
    assert {n["position"] for n in report["host_nodes"]} == {"before", "after"}
    assert report["problem"].startswith(
        "the hardware region must have one input stream and at least one output stream, "
        "found inputs "
    )


def test_a_node_computing_a_constant_says_so():
    nodes = [
        helper.make_node("Neg", ["c"], ["minus_c"], name="neg"),
        helper.make_node("Add", ["x", "minus_c"], ["y"], name="add"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        initializer=[helper.make_tensor("c", TensorProto.FLOAT, [2], [1.0, 2.0])],
    )
    reasons = {n.name: n.reason for n in host_nodes(ModelWrapper(helper.make_model(graph)))}
    assert reasons["neg"] == (
        "no hardware conversion for op type Neg (it computes a constant: every input is an "
        "initializer)"
    )
    assert reasons["add"] == "ConvertAddToHW: input 'x' is FLOAT32, not integer"


def test_a_float_add_of_two_streams_gets_the_add_conversion_reason():
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu"),
        helper.make_node("Add", ["x", "r"], ["y"], name="add"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
    )
    reasons = {n.name: n.reason for n in host_nodes(ModelWrapper(helper.make_model(graph)))}
    assert reasons["add"] == "ConvertAddToHW: input 'x' is FLOAT32, not integer"
