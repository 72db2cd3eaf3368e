"""A scalar scale in front of a bias-free Conv is moved behind it:

    Mul(c) -> Conv(W)  ==>  Conv(W) -> Mul(c)       (c a scalar)

Convolution is linear and zero padding is unchanged by scaling. A per-channel input scale
cannot move (it would leave the weights non-integer) and stays where it is.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import Matches, const_operand, sole_consumer, swap_past


class MoveScalarMulPastConv(Transformation):
    """Push scalar Muls downstream through bias-free convolutions."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mul in model.graph.node:
            operand = const_operand(model, mul) if mul.op_type == "Mul" else None
            if operand is None or operand[1].size != 1:
                continue
            conv = sole_consumer(model, mul.output[0])
            if conv is None or conv.op_type != "Conv" or conv.input[0] != mul.output[0]:
                continue
            if len(conv.input) > 2 and conv.input[2]:
                continue
            matches.add((mul, conv), operand[0])
        for mul, conv, data_index in matches:
            swap_past(model, mul, conv, data_index)
        return model, bool(matches)
