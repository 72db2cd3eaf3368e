"""The estimate counts only hardware layers: host nodes are listed beside it with their
reasons, and a graph with nothing in hardware has no fps at all."""

from __future__ import annotations

from qnnflow.analysis.estimate import estimate_network
from qnnflow.analysis.estimate_table import NO_HARDWARE, estimate_markdown, summary_lines
from qnnflow.boards import load_board
from qnnflow.ops.graph_queries import hw_nodes
from qnnflow.transforms.to_hw import ConvertToHW
from tests.transforms.to_hw.host_graphs import convs_then_host, float_gemm


def test_nothing_in_hardware_has_no_fps():
    board = load_board("pynq_z2")
    estimate = estimate_network(float_gemm().transform(ConvertToHW()), board)
    data = estimate.to_dict(board)
    assert data["hardware_layers"] == 0 and data["fps"] is None
    assert [n["name"] for n in data["host_nodes"]] == ["quant_in", "flatten", "fc"]
    text = estimate_markdown(estimate, board)
    assert text.startswith(NO_HARDWARE) and "fps at" not in text
    assert "| fc | Gemm | - |" in text  # with its reason (the FC conversion may give one)


def test_fps_and_resources_cover_the_hardware_layers_only():
    board = load_board("pynq_z2")
    hw = convs_then_host().transform(ConvertToHW())
    estimate = estimate_network(hw, board)
    assert [layer.name for layer in estimate.layers] == [n.name for n in hw_nodes(hw)]
    data = estimate.to_dict(board)
    assert data["hardware_layers"] == len(hw_nodes(hw)) and data["fps"] > 0
    assert {n["name"]: n["position"] for n in data["host_nodes"]} == {
        "quant_in": "before",
        "conv0_to_nhwc": "before",
        "conv1_to_nchw": "after",
        "sigmoid": "after",
    }
    lines = summary_lines(estimate, board)
    assert f"for the {len(hw_nodes(hw))} hardware layers" in lines[0]
    assert lines[-1] == (
        "not counted: 4 nodes run on the host (ARM), outside the accelerator "
        "(MultiThreshold, Sigmoid, Transpose)"
    )
    text = estimate_markdown(estimate, board)
    assert (
        "| sigmoid | Sigmoid | after the accelerator | no hardware conversion for op type " in text
    )
