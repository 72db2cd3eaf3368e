"""ZeroPad: zero-pads an NHWC feature map (the border of a padded convolution)."""

from __future__ import annotations

import numpy as np

from qnnflow.ops.base import SpatialOp
from qnnflow.ops.estimate import zero_resources


def pad_nhwc(x: np.ndarray, pads: list[int], value: float = 0) -> np.ndarray:
    """pads = (top, left, bottom, right)."""
    top, left, bottom, right = pads
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


class ZeroPad(SpatialOp):
    """Streams the input and inserts zero pixels at the borders. cycles = OH*OW*C/SIMD.
    LUT = 40 + SIMD*bits (output mux), FF = SIMD*bits + 40."""

    WORD_ATTR = "SIMD"

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(
            ImgDim=("ints", True, []),  # [H, W]
            Padding=("ints", True, []),  # [top, left, bottom, right]
            NumChannels=("i", True, 0),
            SIMD=("i", False, 1),
        )
        return attrs

    def _dims(self) -> tuple[int, int, int, int, int]:
        h, w = self.get_nodeattr("ImgDim")
        top, left, bottom, right = self.get_nodeattr("Padding")
        return h, w, h + top + bottom, w + left + right, self.get_nodeattr("NumChannels")

    def fill_words(self) -> int:
        """The top padding rows leave before any input arrives."""
        return 0

    def cycles(self) -> int:
        _, _, oh, ow, c = self._dims()
        return oh * ow * c // self.get_nodeattr("SIMD")

    def resources(self) -> dict[str, float]:
        width = self.get_nodeattr("SIMD") * self.input_dtype().bitwidth()
        res = zero_resources()
        res.update(LUT=40.0 + width, FF=40.0 + width)
        return res

    def reference(self, x: np.ndarray) -> np.ndarray:
        return pad_nhwc(x, self.get_nodeattr("Padding"))
