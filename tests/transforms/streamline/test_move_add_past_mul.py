"""MoveAddPastMul: Add(b) -> Mul(a) -> Mul(a) -> Add(a b)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import MoveAddPastMul
from tests.transforms.streamline.graphs import Chain, check, integers, op_types

SHAPE = [1, 2, 3, 3]


def test_bias_moves_behind_the_scale():
    chain = Chain(SHAPE).op("Add", np.array([3.0, -5.0], np.float32).reshape(1, 2, 1, 1))
    chain.op("Mul", np.array([0.25, -2.0], np.float32).reshape(1, 2, 1, 1))
    after = check(chain.model(SHAPE), MoveAddPastMul(), integers(SHAPE, -9, 9))
    assert op_types(after) == ["Mul", "Add"]
    bias = after.get_initializer(after.graph.node[1].input[1])
    assert np.array_equal(bias.reshape(-1), [0.75, 10.0])
