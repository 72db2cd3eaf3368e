"""ZeroPad: zero-pads an NHWC feature map (the border of a padded convolution)."""

from __future__ import annotations

import numpy as np

from qnnflow.ops.base import HWOp
from qnnflow.ops.estimate import zero_resources


def pad_nhwc(x: np.ndarray, pads: list[int], value: float = 0) -> np.ndarray:
    """pads = (top, left, bottom, right)."""
    top, left, bottom, right = pads
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


class ZeroPad(HWOp):
    """Streams the input and inserts zero pixels at the borders. cycles = OH*OW*C/SIMD.
    LUT = 40 + SIMD*bits (output mux), FF = SIMD*bits + 40."""

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

    def normal_input_shape(self) -> tuple[int, ...]:
        h, w, _, _, c = self._dims()
        return (1, h, w, c)

    def normal_output_shape(self) -> tuple[int, ...]:
        _, _, oh, ow, c = self._dims()
        return (1, oh, ow, c)

    def folded_input_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.get_nodeattr("SIMD"))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_output_shape(), self.get_nodeattr("SIMD"))

    def check_folding(self) -> None:
        self.require_divides("SIMD", self.get_nodeattr("SIMD"), "channels", self._dims()[4])

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
