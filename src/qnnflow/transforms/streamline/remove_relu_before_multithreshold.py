"""A ReLU in front of a thresholding with only positive thresholds changes nothing:

    Relu -> MultiThreshold(T), every T > 0  ==>  MultiThreshold(T)

since max(x, 0) >= t  <=>  x >= t for t > 0. The ReLU stays when something else reads it.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import Matches


class RemoveReluBeforeMultiThreshold(Transformation):
    """Let thresholdings with positive thresholds read the ReLU's input directly."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mt in model.graph.node:
            if mt.op_type != "MultiThreshold":
                continue
            relu = model.find_producer(mt.input[0])
            thresholds = model.get_initializer(mt.input[1])
            if relu is None or relu.op_type != "Relu" or thresholds is None:
                continue
            if np.all(thresholds > 0):
                matches.add((mt, relu))
        for mt, relu in matches:
            mt.input[0] = relu.input[0]
            readers = model.find_consumers(relu.output[0])
            outputs = [o.name for o in model.graph.output]
            if not readers and relu.output[0] not in outputs:
                model.graph.node.remove(relu)
        return model, bool(matches)
