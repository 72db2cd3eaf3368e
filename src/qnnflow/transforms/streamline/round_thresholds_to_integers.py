"""Thresholds on an integer input are rounded up to integers and clipped to its range:

    MultiThreshold(T) on x of integer datatype D  ==>  MultiThreshold(clip(ceil(T), D.min, D.max+1))

x >= t  <=>  x >= ceil(t) for integer x and any real t, so the rounding is exact and keeps a
strict boundary strict: thresholds from Quant and the absorbed Mul/Add are the least float32
inputs reaching a code, so a tie h (integer) the code passes stays at h, and one it does not
pass sits one float32 step above h and becomes h + 1. A threshold below D.min is always
passed and one above D.max never, as are D.min and D.max + 1. The thresholds are annotated with the
smallest integer datatype that holds them. Needs datatypes inferred (InferDataTypes).
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import Matches, integer_datatype, new_initializer


def _fit(thresholds: np.ndarray):
    return integer_datatype(thresholds, bipolar=False)


class RoundThresholdsToIntegers(Transformation):
    """Make the thresholds of integer-input MultiThresholds integers."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mt in model.graph.node:
            if mt.op_type != "MultiThreshold":
                continue
            dtype = model.get_tensor_datatype(mt.input[0])
            thresholds = model.get_initializer(mt.input[1])
            if thresholds is None or dtype is None or not dtype.is_integer():
                continue
            low, high = float(dtype.min()), float(dtype.max()) + 1.0
            rounded = np.clip(np.ceil(thresholds.astype(np.float64)), low, high) + 0.0  # no -0
            if not np.array_equal(rounded, thresholds):
                matches.add((mt,), rounded)
            elif model.get_tensor_datatype(mt.input[1]) != (fit := _fit(rounded)):
                model.set_tensor_datatype(mt.input[1], fit)
        for mt, rounded in matches:
            mt.input[1] = new_initializer(model, f"{mt.name}_T_int", rounded)
            model.set_tensor_datatype(mt.input[1], _fit(rounded))
        return model, bool(matches)
