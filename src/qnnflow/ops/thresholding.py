"""Thresholding: a standalone multi-threshold activation on an NHWC stream."""

from __future__ import annotations

import math

import numpy as np

from qnnflow.ops.base import ChannelLanesOp
from qnnflow.ops.bipolar import bipolar_output_problem, is_bipolar, thresholded_output
from qnnflow.ops.estimate import lutram_for, zero_resources
from qnnflow.ops.kernels import multithreshold_last_axis


class Thresholding(ChannelLanesOp):
    """Inputs: x [1, ..., C], thresholds [C, T]; out = count(x >= t) + ActVal, or 2*count - 1
    for a BIPOLAR output (one threshold). A BIPOLAR input holds -1/+1 like any integer.

    cycles = prod(numInputVectors) * C/PE. Thresholds in LUTRAM (C*T*ibits bits);
    LUT = 50 + PE*T*ceil(ibits/2) (comparators) + LUTRAM, FF = 50 + PE*(ibits + obits)."""

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(
            NumChannels=("i", True, 0),
            PE=("i", False, 1),
            numInputVectors=("ints", False, [1]),
            numThresholds=("i", True, 1),
            ActVal=("i", False, 0),
        )
        return attrs

    def normal_input_shape(self) -> tuple[int, ...]:
        return (*self.get_nodeattr("numInputVectors"), self.get_nodeattr("NumChannels"))

    def normal_output_shape(self) -> tuple[int, ...]:
        return self.normal_input_shape()

    def folded_input_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.get_nodeattr("PE"))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.folded_input_shape()

    def verify_node(self) -> None:
        self.check_datatypes()
        super().verify_node()

    def check_datatypes(self) -> None:
        """A BIPOLAR output comes from one threshold (qnnflow.ops.bipolar)."""
        if is_bipolar(self.output_dtype()):
            t, act_val = self.get_nodeattr("numThresholds"), self.get_nodeattr("ActVal")
            problem = bipolar_output_problem(t, act_val)
            if problem:
                raise self.fail(problem)

    def fill_words(self) -> int:
        return 1

    def cycles(self) -> int:
        vectors = int(np.prod(self.get_nodeattr("numInputVectors")))
        return vectors * self.get_nodeattr("NumChannels") // self.get_nodeattr("PE")

    def resources(self) -> dict[str, float]:
        pe, c = self.get_nodeattr("PE"), self.get_nodeattr("NumChannels")
        t = self.get_nodeattr("numThresholds")
        ibits, obits = self.input_dtype().bitwidth(), self.output_dtype().bitwidth()
        res = zero_resources()
        res["LUTRAM"] = float(lutram_for(c // pe, pe * t * ibits))
        res["LUT"] = 50.0 + pe * t * math.ceil(ibits / 2) + res["LUTRAM"]
        res["FF"] = 50.0 + pe * (ibits + obits)
        return res

    def reference(self, x: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
        counts = multithreshold_last_axis(x, thresholds)
        return thresholded_output(counts, self.output_dtype(), self.get_nodeattr("ActVal"))
