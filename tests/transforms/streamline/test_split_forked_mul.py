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


def test_copies_follow_the_scale_in_order_and_are_named_after_it():
    """In order: a Relu, a forked scale that is a graph output (stays shared), then a scale
    read by three nodes: two copies right behind it, named after it (_copy1, _copy2)."""
    chain = Chain(SHAPE).op("Relu").op("Mul", np.float32(0.5))
    shared = chain.head
    chain.op("Relu")
    first = chain.builder.node("Neg", [shared], "first")
    chain.op("Mul", np.float32(3.0))
    scale = chain.head
    readers = [chain.builder.node(op, [scale], op.lower()) for op in ("Neg", "Abs")]
    chain.op("Relu")  # the third reader, and the graph's output
    also = [(t, SHAPE) for t in (shared, first, *readers)]
    model = chain.model(SHAPE, also=tuple(also))
    # the scale node gets a name of its own (its tensor keeps the builder's)
    node = next(n for n in model.graph.node if n.output[0] == scale)
    node.name = "scale3"
    assert SplitForkedMul().apply(model)[1] is True
    names = [n.name for n in model.graph.node]
    at = names.index("scale3")
    assert names[at : at + 3] == ["scale3", "scale3_copy1", "scale3_copy2"]
    copies = [n.output[0] for n in model.graph.node[at + 1 : at + 3]]
    assert copies == ["scale3_copy1", "scale3_copy2"]
    consumers = [len(model.find_consumers(t)) for t in (scale, *copies)]
    assert consumers == [1, 1, 1]
    assert len(model.find_consumers(shared)) == 2  # a graph output: not split
