"""SplitForkedMul: Mul(c) -> {A, B} -> Mul(c) -> A, Mul(c) -> B."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import SplitForkedMul
from tests.transforms.streamline.graphs import Chain, check, floats, op_types

SHAPE = [1, 2, 3, 3]


def _fork(also_output: bool = False):
    """x -> Mul(c) -> Relu -> y, and the Mul's output also into Neg -> z (and maybe out)."""
    chain = Chain(SHAPE).op("Mul", np.array([0.3, 1.7], np.float32).reshape(1, 2, 1, 1))
    scaled = chain.head
    chain.op("Relu")
    neg = chain.builder.node("Neg", [scaled], "neg")
    also = ((neg, SHAPE), (scaled, SHAPE)) if also_output else ((neg, SHAPE),)
    return chain.model(SHAPE, also=also)


def test_every_reader_gets_its_own_scale():
    after = check(_fork(), SplitForkedMul(), floats(SHAPE))
    assert sorted(op_types(after)) == ["Mul", "Mul", "Neg", "Relu"]
    for node in after.graph.node:
        if node.op_type == "Mul":
            assert len(after.find_consumers(node.output[0])) == 1
    muls = [n for n in after.graph.node if n.op_type == "Mul"]
    assert muls[0].input[0] == muls[1].input[0] == "x"
    values = [after.get_initializer(m.input[1]) for m in muls]
    assert np.array_equal(values[0], values[1])  # the same constant


def test_a_scale_that_is_also_a_graph_output_stays_shared():
    after = check(_fork(also_output=True), SplitForkedMul(), floats(SHAPE))
    assert sorted(op_types(after)) == ["Mul", "Neg", "Relu"]


def test_a_dynamic_mul_is_not_copied():
    """Mul(x, x) is no constant scale."""
    chain = Chain(SHAPE)
    square = chain.builder.node("Mul", [chain.head, chain.head], "square")
    chain.head = square
    chain.op("Relu")
    neg = chain.builder.node("Neg", [square], "neg")
    after = check(chain.model(SHAPE, also=((neg, SHAPE),)), SplitForkedMul(), floats(SHAPE))
    assert sorted(op_types(after)) == ["Mul", "Neg", "Relu"]
