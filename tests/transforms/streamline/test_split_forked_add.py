"""SplitForkedAdd: Add(b) -> {A, B} -> Add(b) -> A, Add(b) -> B."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import SplitForkedAdd
from tests.transforms.streamline.graphs import Chain, check, floats, op_types

SHAPE = [1, 2, 3, 3]


def test_every_reader_gets_its_own_shift():
    chain = Chain(SHAPE).op("Add", np.array([0.3, -1.7], np.float32).reshape(1, 2, 1, 1))
    shifted = chain.head
    chain.op("Relu")
    neg = chain.builder.node("Neg", [shifted], "neg")
    after = check(chain.model(SHAPE, also=((neg, SHAPE),)), SplitForkedAdd(), floats(SHAPE))
    assert sorted(op_types(after)) == ["Add", "Add", "Neg", "Relu"]
    for node in after.graph.node:
        if node.op_type == "Add":
            assert len(after.find_consumers(node.output[0])) == 1
