"""A constant shift read by several nodes becomes one shift per reader, as SplitForkedMul does
for scales (a shift a fork reads, e.g. a BatchNorm bias in front of a route, must reach each
branch's thresholds on its own path):

    Add(x, b) -> {A, B}  ==>  Add(x, b) -> A,  Add(x, b) -> B
"""

from __future__ import annotations

from qnnflow.transforms.streamline.split_forked_mul import SplitForkedMul


class SplitForkedAdd(SplitForkedMul):
    """Give every reader of a forked constant Add its own copy."""

    OP_TYPE = "Add"
