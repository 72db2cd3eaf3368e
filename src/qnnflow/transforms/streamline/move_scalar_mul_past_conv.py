"""A scalar scale in front of a bias-free Conv is moved behind it:

    Mul(c) -> Conv(W)  ==>  Conv(W) -> Mul(c)       (c a scalar)

Convolution is linear and zero padding is unchanged by scaling. A per-channel input scale
cannot move (it would leave the weights non-integer) and stays where it is.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import Matches, const_mul_into, swap_past


def move_scalar_muls_past(model: ModelWrapper, op_types: tuple[str, ...]) -> bool:
    """Swap every constant scalar Mul read only by a bias-free layer of `op_types` (as its
    data input, not as weights) with that layer; whether any moved."""
    matches = Matches()
    for mul in model.graph.node:
        found = const_mul_into(model, mul, op_types)
        if found is None or found[0][1].size != 1:
            continue
        operand, layer = found
        if mul.output[0] in layer.input[1:]:
            continue
        if len(layer.input) > 2 and layer.input[2]:
            continue
        matches.add((mul, layer), operand[0])
    for mul, layer, data_index in matches:
        swap_past(model, mul, layer, data_index)
    return bool(matches)


class MoveScalarMulPastConv(Transformation):
    """Push scalar Muls downstream through bias-free convolutions."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        return model, move_scalar_muls_past(model, ("Conv",))
