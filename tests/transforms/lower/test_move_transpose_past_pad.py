"""MoveTransposePastPad: Transpose(p) -> Pad(pads) -> Pad(permuted pads) -> Transpose(p)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.lower import MoveTransposePastPad
from tests.transforms.streamline.graphs import Chain, check, floats, op_types


def test_right_bottom_padding_is_done_in_nhwc():
    pads = np.array([0, 0, 0, 0, 0, 0, 1, 1])  # NCHW: one row at the bottom, one column right
    chain = Chain([1, 4, 5, 3]).op("Transpose", perm=[0, 3, 1, 2])
    chain.op("Pad", pads, np.float32(0.0), mode="constant")
    after = check(chain.model([1, 3, 5, 6]), MoveTransposePastPad(), floats([1, 4, 5, 3]))
    assert op_types(after) == ["Pad", "Transpose"]
    moved = after.get_initializer(after.graph.node[0].input[1])
    assert moved.tolist() == [0, 0, 0, 0, 0, 1, 1, 0]
    assert after.get_tensor_shape(after.graph.node[0].output[0]) == [1, 5, 6, 3]
