"""BIPOLAR (-1/+1) tensors in the hardware ops, one rule each.

Graph tensors keep the values -1/+1 (so numpy execution compares with the model before
to_hw); on a stream an element is one bit, +1 -> 1 and -1 -> 0 (qnnflow.packing).

- Bipolar output: a single threshold whose count c in {0, 1} leaves as 2c - 1, the
  MultiThreshold(out_scale=2, out_bias=-1) of a sign activation; the kernel emits c itself.
- XNOR mode (MatrixVectorUnit with BIPOLAR input and weights): for x, w in {-1, +1}^MW,
  x.w = 2p - MW where p = popcount(XNOR(x bits, w bits)), so the kernel accumulates p and
  its thresholds live in that domain: x.w >= T  <=>  p >= ceil((T + MW) / 2).
"""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType

BIPOLAR = DataType["BIPOLAR"]


def is_bipolar(dtype: DataType) -> bool:
    return dtype == BIPOLAR


def xnor_popcount(dot: np.ndarray, mw: int) -> np.ndarray:
    """The popcount p of XNOR(x bits, w bits) from the bipolar dot product x.w = 2p - MW."""
    return (np.asarray(dot, dtype=np.float64) + mw) / 2


def popcount_thresholds(thresholds: np.ndarray, mw: int) -> np.ndarray:
    """Thresholds T on x.w -> the equivalent thresholds ceil((T + MW) / 2) on the popcount."""
    return np.ceil((np.asarray(thresholds, dtype=np.float64) + mw) / 2)


def thresholded_output(counts: np.ndarray, out_dtype: DataType, act_val: int) -> np.ndarray:
    """count(value >= t) as the op's output: 2c - 1 for BIPOLAR, else c + ActVal."""
    if is_bipolar(out_dtype):
        return 2 * counts - 1
    return counts + act_val


def bipolar_output_problem(num_thresholds: int, act_val: int) -> str | None:
    """Why a BIPOLAR output cannot come from this activation, or None when it can."""
    if num_thresholds != 1 or act_val != 0:
        return (
            f"a BIPOLAR output needs exactly one threshold and ActVal 0 (count 0 -> -1, "
            f"1 -> +1), got numThresholds={num_thresholds}, ActVal={act_val}"
        )
    return None
