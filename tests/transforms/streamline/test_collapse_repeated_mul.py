"""CollapseRepeatedMul: Mul(a) -> Mul(b) -> Mul(c) -> Mul(a b c)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import CollapseRepeatedMul
from tests.transforms.streamline.graphs import Chain, check, constants_first, integers, op_types

SHAPE = [1, 2, 3, 3]


def test_chain_of_constant_scales_becomes_one():
    chain = Chain(SHAPE).op("Mul", np.float32(0.5))
    chain.op("Mul", np.array([2.0, -4.0], np.float32).reshape(1, 2, 1, 1)).op("Mul", np.float32(8))
    after = check(chain.model(SHAPE), CollapseRepeatedMul(), integers(SHAPE, -9, 9))
    assert op_types(after) == ["Mul"]
    product = after.get_initializer(after.graph.node[0].input[1])
    assert np.array_equal(product.reshape(-1), [8.0, -16.0])


def test_only_constant_mul_pairs_collapse_anywhere_in_the_graph():
    """Non-matching nodes come first (a Relu, a Mul read by a Relu, a Mul read by a square,
    the square itself); the pair after them collapses with its constant on input 0; an Add in
    front of a Mul is no scale."""
    chain = Chain(SHAPE).op("Relu").op("Mul", np.float32(2)).op("Relu")
    chain.op("Mul", np.float32(0.5))
    chain.op("Mul", chain.head)  # the square: no constant operand
    chain.op("Mul", np.float32(4)).op("Mul", np.float32(-0.25))
    flipped = chain.head
    chain.op("Add", np.float32(3)).op("Mul", np.float32(2))
    model = constants_first(chain.model(SHAPE), flipped)
    assert CollapseRepeatedMul().apply(model)[1] is True
    model = constants_first(chain.model(SHAPE), flipped)
    after = check(model, CollapseRepeatedMul(), integers(SHAPE, -9, 9))
    assert op_types(after) == ["Relu", "Mul", "Relu", "Mul", "Mul", "Mul", "Add", "Mul"]
    product = [after.get_initializer(i) for i in after.graph.node[5].input]
    assert [float(p) for p in product if p is not None] == [-1.0]
    assert CollapseRepeatedMul().apply(after)[1] is False
