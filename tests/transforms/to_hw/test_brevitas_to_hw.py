"""ConvertToHW on streamlined Brevitas nets (ported from the removed transforms/lower tests):
the hardware graph computes the same codes, NHWC between hardware layers, and only the
boundary layout changes stay on the host."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.ops import DOMAIN
from qnnflow.transforms.streamline import Streamline
from qnnflow.transforms.to_hw import ConvertToHW, RemoveTransposePairs
from tests.brevitas_models import SPECS, random_pixels


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hardware_layers_compute_identical_codes(brevitas_qonnx, name):
    integer = brevitas_qonnx(name).transform(Streamline(input_datatype="UINT8"))
    hw = integer.transform(ConvertToHW())
    host = [n.op_type for n in hw.graph.node if n.domain != DOMAIN]
    assert "Conv" not in host and "MaxPool" not in host
    hw_ops = [n for n in hw.graph.node if n.domain == DOMAIN]
    pools = sum(kind is not None for kind in SPECS[name].pools)
    assert [n.op_type for n in hw_ops].count("StreamingMaxPool") == pools
    nodes = list(hw.graph.node)
    first, last = nodes.index(hw_ops[0]), nodes.index(hw_ops[-1])
    between = [n.op_type for n in nodes[first : last + 1]]
    assert "Transpose" not in between  # hardware layers talk NHWC to each other
    size = SPECS[name].size
    x = random_pixels((1, 3, size, size), 7)
    ref = execute_onnx(integer, {integer.graph.input[0].name: x})
    new = execute_onnx(hw, {hw.graph.input[0].name: x})
    assert np.array_equal(new[hw.graph.output[0].name], ref[integer.graph.output[0].name])


def test_inverse_pair_feeding_a_graph_output_stays():
    nodes = [
        helper.make_node("Transpose", ["x"], ["a"], perm=[0, 2, 3, 1]),
        helper.make_node("Transpose", ["a"], ["y"], perm=[0, 3, 1, 2]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3, 4])],
    )
    out = ModelWrapper(helper.make_model(graph)).transform(RemoveTransposePairs())
    assert [n.op_type for n in out.graph.node] == ["Transpose", "Transpose"]


def test_conversions_are_found_by_their_order_declaration():
    from qnnflow.transforms.to_hw import conversions

    names = [cls.__name__ for cls in conversions()]
    assert names == [
        "ConvertUpsampleToHW",
        "ConvertConcatToHW",
        "ConvertAddToHW",
        "ConvertConvThresholdToHW",
        "ConvertConvLinearToHW",
        "ConvertPadToHW",
        "ConvertMaxPoolToHW",
        "ConvertGlobalPoolToHW",
        "ConvertFCThresholdToHW",
        "ConvertThresholdToHW",
    ]
