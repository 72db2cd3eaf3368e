"""CollapseRepeatedMul: Mul(a) -> Mul(b) -> Mul(c) -> Mul(a b c)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import CollapseRepeatedMul
from tests.transforms.streamline.graphs import Chain, check, integers, op_types

SHAPE = [1, 2, 3, 3]


def test_chain_of_constant_scales_becomes_one():
    chain = Chain(SHAPE).op("Mul", np.float32(0.5))
    chain.op("Mul", np.array([2.0, -4.0], np.float32).reshape(1, 2, 1, 1)).op("Mul", np.float32(8))
    after = check(chain.model(SHAPE), CollapseRepeatedMul(), integers(SHAPE, -9, 9))
    assert op_types(after) == ["Mul"]
    product = after.get_initializer(after.graph.node[0].input[1])
    assert np.array_equal(product.reshape(-1), [8.0, -16.0])
