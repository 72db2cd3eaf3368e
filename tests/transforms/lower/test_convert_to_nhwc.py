"""ConvertToNHWC on streamlined Brevitas nets: NHWC between layers, bit-exact codes."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp

from qnnflow.transforms.lower import ConvertToNHWC
from qnnflow.transforms.streamline import Streamline
from tests.brevitas_models import SPECS, random_pixels


@pytest.mark.parametrize("name", sorted(SPECS))
def test_layers_run_in_nhwc_with_identical_codes(brevitas_qonnx, name):
    integer = brevitas_qonnx(name).transform(Streamline(input_datatype="UINT8"))
    nhwc = integer.transform(ConvertToNHWC())
    ops = [n.op_type for n in nhwc.graph.node]
    assert ops.count("Transpose") == 2 and "Conv" not in ops and "MaxPool" not in ops
    assert ops.count("MaxPoolNHWC") == 2
    mts = [n for n in nhwc.graph.node if n.op_type == "MultiThreshold"]
    layouts = [getCustomOp(n).get_nodeattr("data_layout") for n in mts]
    assert layouts == [""] + ["NHWC"] * (len(mts) - 1)  # the input thresholds stay NCHW

    size = SPECS[name].size
    x = random_pixels((1, 3, size, size), 7)
    ref = execute_onnx(integer, {integer.graph.input[0].name: x}, return_full_exec_context=True)
    new = execute_onnx(nhwc, {nhwc.graph.input[0].name: x}, return_full_exec_context=True)
    by_name = {n.name: n for n in integer.graph.node}
    for mt in mts[1:]:
        expected = ref[by_name[mt.name].output[0]].transpose(0, 2, 3, 1)
        assert np.array_equal(new[mt.output[0]], expected), mt.name
    assert np.array_equal(new[nhwc.graph.output[0].name], ref[integer.graph.output[0].name])
