"""MoveTransposePastMultiThreshold: Transpose(NHWC->NCHW) -> MT -> MT(NHWC) -> Transpose."""

from __future__ import annotations

import numpy as np
from qonnx.custom_op.registry import getCustomOp

from qnnflow.transforms.lower import MoveTransposePastMultiThreshold
from tests.transforms.streamline.graphs import Chain, check, floats, op_types

T = np.array([[-1.0, 0.5], [0.0, 2.0], [1.0, 1.5]], np.float32)


def test_thresholds_work_on_the_nhwc_tensor():
    chain = Chain([1, 4, 5, 3]).op("Transpose", perm=[0, 3, 1, 2])
    chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2")
    after = check(
        chain.model([1, 3, 4, 5]), MoveTransposePastMultiThreshold(), floats([1, 4, 5, 3])
    )
    assert op_types(after) == ["MultiThreshold", "Transpose"]
    assert getCustomOp(after.graph.node[0]).get_nodeattr("data_layout") == "NHWC"
    assert after.get_tensor_shape(after.graph.node[0].output[0]) == [1, 4, 5, 3]


def test_other_permutations_are_left_alone():
    chain = Chain([1, 3, 5, 4]).op("Transpose", perm=[0, 1, 3, 2])
    chain.op("MultiThreshold", T, qonnx=True, out_dtype="UINT2")
    after = check(
        chain.model([1, 3, 4, 5]), MoveTransposePastMultiThreshold(), floats([1, 3, 5, 4])
    )
    assert op_types(after) == ["Transpose", "MultiThreshold"]
