"""A layout change in front of a thresholding is moved behind it:

    Transpose(NHWC->NCHW) -> MultiThreshold  ==>  MultiThreshold(data_layout=NHWC) -> Transpose

Thresholding is per channel and elementwise, so only its channel axis changes.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from qnnflow.transforms.lower.transpose_rules import NHWC_TO_NCHW, source_shape, transpose_into
from qnnflow.transforms.streamline.patterns import Matches, swap_past


class MoveTransposePastMultiThreshold(Transformation):
    """Let NCHW MultiThresholds fed by an NHWC->NCHW Transpose work in NHWC."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for transpose, mt in transpose_into(model, "MultiThreshold", NHWC_TO_NCHW):
            if getCustomOp(mt).get_nodeattr("data_layout") in ("", "NCHW"):
                matches.add((transpose, mt))
        for transpose, mt in matches:
            getCustomOp(mt).set_nodeattr("data_layout", "NHWC")
            shape = source_shape(model.get_tensor_shape(mt.output[0]), NHWC_TO_NCHW)
            swap_past(model, transpose, mt, 0, middle_shape=shape)
        return model, bool(matches)
