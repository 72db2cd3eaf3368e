"""MoveAddPastMul: Add(b) -> Mul(a) -> Mul(a) -> Add(a b)."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import MoveAddPastMul
from tests.transforms.streamline.graphs import Chain, check, constants_first, integers, op_types

SHAPE = [1, 2, 3, 3]


def test_bias_moves_behind_the_scale():
    chain = Chain(SHAPE).op("Add", np.array([3.0, -5.0], np.float32).reshape(1, 2, 1, 1))
    chain.op("Mul", np.array([0.25, -2.0], np.float32).reshape(1, 2, 1, 1))
    after = check(chain.model(SHAPE), MoveAddPastMul(), integers(SHAPE, -9, 9))
    assert op_types(after) == ["Mul", "Add"]
    bias = after.get_initializer(after.graph.node[1].input[1])
    assert np.array_equal(bias.reshape(-1), [0.75, 10.0])


def test_only_constant_add_mul_pairs_swap_anywhere_in_the_graph():
    """Non-matching nodes first (a Relu, an Add read by a Relu, an Add read by a square, the
    square); then a pair with both constants on input 0; a Mul in front of a Mul is no bias
    (the moved bias passes them)."""
    chain = Chain(SHAPE).op("Relu").op("Add", np.float32(2)).op("Relu")
    chain.op("Add", np.float32(1))
    chain.op("Mul", chain.head)  # the square: no constant operand
    add = chain.op("Add", np.float32(3)).head
    mul = chain.op("Mul", np.float32(-4)).head
    chain.op("Mul", np.float32(0.5)).op("Mul", np.float32(2))
    model = constants_first(chain.model(SHAPE), add, mul)
    assert MoveAddPastMul().apply(model)[1] is True
    model = constants_first(chain.model(SHAPE), add, mul)
    after = check(model, MoveAddPastMul(), integers(SHAPE, -9, 9))
    # the moved bias goes on past the two later scales
    assert op_types(after) == ["Relu", "Add", "Relu", "Add", "Mul", "Mul", "Mul", "Mul", "Add"]
    moved = after.graph.node[8]
    assert [
        float(after.get_initializer(i)) for i in moved.input if after.get_initializer(i) is not None
    ] == [-12.0]
    assert MoveAddPastMul().apply(after)[1] is False
