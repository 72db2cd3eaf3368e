"""RemoveInverseTransposes: Transpose(p) -> Transpose(p^-1) -> nothing."""

from __future__ import annotations

from qnnflow.transforms.lower import RemoveInverseTransposes
from tests.transforms.streamline.graphs import Chain, check, floats, op_types


def test_inverse_pair_vanishes():
    chain = Chain([1, 4, 5, 3]).op("Transpose", perm=[0, 3, 1, 2])
    chain.op("Transpose", perm=[0, 2, 3, 1]).op("Relu")
    after = check(chain.model([1, 4, 5, 3]), RemoveInverseTransposes(), floats([1, 4, 5, 3]))
    assert op_types(after) == ["Relu"]


def test_non_inverse_pair_stays():
    chain = Chain([1, 4, 5, 3]).op("Transpose", perm=[0, 3, 1, 2])
    chain.op("Transpose", perm=[0, 3, 1, 2]).op("Relu")
    after = check(chain.model([1, 5, 3, 4]), RemoveInverseTransposes(), floats([1, 4, 5, 3]))
    assert op_types(after) == ["Transpose", "Transpose", "Relu"]
