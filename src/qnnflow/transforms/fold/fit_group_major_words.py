"""Behind a MatrixVectorUnit that streams its weights from DDR, a frame travels
channel-group-major (G sub-frames of C/G channels) until the next SlidingWindow, so no
stream word there may straddle two groups:

    word size P of a ZeroPad / StreamingMaxPool / Thresholding, or the input word of a
    frame-buffered SlidingWindow, in such a region  ==>  gcd(P, C/G)

The SlidingWindow keeps its output SIMD (it restores normal order), taking narrower input
words through `inputSIMD`; the cost is a slower fill, which the estimate shows."""

from __future__ import annotations

import logging
import math

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops.graph_queries import hw_nodes, hw_op, input_channel_groups

log = logging.getLogger(__name__)

# op type -> (word-size attribute, channel-count attribute)
WORD_ATTRS = {
    "ZeroPad": ("SIMD", "NumChannels"),
    "StreamingMaxPool": ("PE", "NumChannels"),
    "Thresholding": ("PE", "NumChannels"),
    "SlidingWindow": ("inputSIMD", "IFMChannels"),
}


class FitGroupMajorWords(Transformation):
    """Shrink word sizes in channel-group-major regions to divide C/G (see module doc)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for node in hw_nodes(model):
            if node.op_type not in WORD_ATTRS:
                continue
            groups = input_channel_groups(model, node)
            if groups == 1:
                continue
            op = hw_op(node)
            word_attr, channel_attr = WORD_ATTRS[node.op_type]
            per_group = op.get_nodeattr(channel_attr) // groups
            current = op.get_nodeattr(word_attr)
            if word_attr == "inputSIMD":
                current = current or op.get_nodeattr("SIMD")
            fitted = math.gcd(current, per_group)
            if fitted != current or (word_attr == "inputSIMD" and not op.get_nodeattr(word_attr)):
                op.set_nodeattr(word_attr, fitted)
                if fitted != current:
                    log.info(
                        "%s '%s': %s %d -> %d (channel groups of %d)",
                        node.op_type,
                        node.name,
                        word_attr,
                        current,
                        fitted,
                        per_group,
                    )
        return model, False
