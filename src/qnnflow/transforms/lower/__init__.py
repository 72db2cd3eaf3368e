"""Lowering of a streamlined graph towards hardware layers: convolutions as sliding-window
(Im2Col) + MatMul, and NHWC layout between layers.

    Conv(W)  ==>  Transpose(NCHW->NHWC) -> Im2Col -> MatMul(W') -> Transpose(NHWC->NCHW)

is qonnx's LowerConvsToMatMul (W' = W as [kh*kw*C_in, C_out], weight datatype kept). Then
ConvertToNHWC moves every NHWC->NCHW Transpose downstream through MultiThreshold, Pad and
MaxPool (which becomes MaxPoolNHWC) until it meets the next NCHW->NHWC Transpose and both
vanish: only the graph's first and last layout changes remain.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.transformation.lower_convs_to_matmul import LowerConvsToMatMul

from qnnflow.transforms.lower.move_transpose_past_maxpool import MoveTransposePastMaxPool
from qnnflow.transforms.lower.move_transpose_past_multithreshold import (
    MoveTransposePastMultiThreshold,
)
from qnnflow.transforms.lower.move_transpose_past_pad import MoveTransposePastPad
from qnnflow.transforms.lower.remove_inverse_transposes import RemoveInverseTransposes

LAYOUT_RULES: tuple[type[Transformation], ...] = (
    MoveTransposePastMultiThreshold,  # T -> MT -> MT(NHWC) -> T
    MoveTransposePastPad,  # T -> Pad -> Pad(permuted pads) -> T
    MoveTransposePastMaxPool,  # T -> MaxPool -> MaxPoolNHWC -> T
    RemoveInverseTransposes,  # T(p) -> T(p^-1) -> nothing
)


class ConvertToNHWC(Transformation):
    """Lower convs to Im2Col + MatMul, then sink the layout Transposes to a fixed point."""

    def __init__(self, max_sweeps: int = 50) -> None:
        super().__init__()
        self.max_sweeps = max_sweeps

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        model = model.transform(InferShapes()).transform(InferDataTypes())
        model = model.transform(LowerConvsToMatMul())
        for _ in range(self.max_sweeps):
            before = model.model.SerializeToString()
            for rule in LAYOUT_RULES:
                model = model.transform(rule())
            model = model.transform(InferShapes()).transform(InferDataTypes())
            if model.model.SerializeToString() == before:
                break
        for i, node in enumerate(n for n in model.graph.node if not n.name):
            node.name = f"{node.op_type}_lowered_{i}"
        return model, False


__all__ = [
    "LAYOUT_RULES",
    "ConvertToNHWC",
    "LowerConvsToMatMul",
    "MoveTransposePastMaxPool",
    "MoveTransposePastMultiThreshold",
    "MoveTransposePastPad",
    "RemoveInverseTransposes",
]
