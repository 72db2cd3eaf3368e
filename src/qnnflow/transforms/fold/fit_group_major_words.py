"""Behind a MatrixVectorUnit that streams its weights from DDR, a frame travels
channel-group-major (G sub-frames of C/G channels) until the next SlidingWindow, so no
stream word there may straddle two groups:

    group word P of an op (`HWOp.group_word`: a ZeroPad's SIMD, a StreamingMaxPool's or
    Thresholding's PE, a frame-buffered SlidingWindow's inputSIMD) in such a region
    ==>  gcd(P, C/G)

The SlidingWindow keeps its output SIMD (it restores normal order), taking narrower input
words through `inputSIMD`; the cost is a slower fill, which the estimate shows."""

from __future__ import annotations

import logging

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.ops.stream_order import input_channel_groups

log = logging.getLogger(__name__)


class FitGroupMajorWords(Transformation):
    """Shrink word sizes in channel-group-major regions to divide C/G (see module doc)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for node in hw_nodes(model):  # topological: a fitted word never changes G downstream
            op = hw_op(node)
            fit = op.fit_channel_groups(input_channel_groups(model, node))
            if fit is None:
                continue
            attr, fitted = fit
            _, current, _ = op.group_word()
            if fitted != op.get_nodeattr(attr):
                op.set_nodeattr(attr, fitted)
            if fitted != current:
                log.info("%s '%s': %s %d -> %d", node.op_type, node.name, attr, current, fitted)
        return model, False
