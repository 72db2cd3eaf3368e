"""StreamingMaxPool: any kernel/stride/padding YOLO uses; padded cells are ignored
(-inf semantics), which Darknet's 2x2 stride-1 pool needs at the right/bottom border."""

from __future__ import annotations

import numpy as np

from qnnflow.ops.base import SpatialOp
from qnnflow.ops.estimate import bram36_for, lutram_for, zero_resources
from qnnflow.ops.kernels import maxpool_nhwc


class StreamingMaxPool(SpatialOp):
    """cycles = (H+top+bottom)*(W+left+right)*C/PE (one input word per cycle, padding too).
    Buffer: (K-1) input rows plus one output row of partial maxima, C*bits per pixel
    (BRAM36 when deeper than 256 words, else LUTRAM). LUT = 50 + 2*PE*bits, FF = same."""

    WORD_ATTR = "PE"

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(
            ImgDim=("ints", True, []),
            Kernel=("i", True, 2),
            Stride=("i", True, 2),
            Pads=("ints", False, [0, 0, 0, 0]),
            NumChannels=("i", True, 0),
            PE=("i", False, 1),
        )
        return attrs

    def _dims(self) -> tuple[int, int, int, int, int]:
        h, w = self.get_nodeattr("ImgDim")
        top, left, bottom, right = self.get_nodeattr("Pads")
        k, s = self.get_nodeattr("Kernel"), self.get_nodeattr("Stride")
        oh, ow = (h + top + bottom - k) // s + 1, (w + left + right - k) // s + 1
        return h, w, oh, ow, self.get_nodeattr("NumChannels")

    def check_folding(self) -> None:
        super().check_folding()
        if max(self.get_nodeattr("Pads")) >= self.get_nodeattr("Kernel"):
            raise self.fail("padding must be smaller than the kernel")

    def fill_words(self) -> int:
        """K-1 rows and K pixels arrive before the first window is complete."""
        k, (_, w) = self.get_nodeattr("Kernel"), self.get_nodeattr("ImgDim")
        per_pixel = self.get_nodeattr("NumChannels") // self.get_nodeattr("PE")
        return min(self.words_per_frame(), ((k - 1) * w + k) * per_pixel)

    def cycles(self) -> int:
        h, w, _, _, c = self._dims()
        top, left, bottom, right = self.get_nodeattr("Pads")
        return (h + top + bottom) * (w + left + right) * c // self.get_nodeattr("PE")

    def resources(self) -> dict[str, float]:
        h, w, oh, ow, c = self._dims()
        pe, bits = self.get_nodeattr("PE"), self.input_dtype().bitwidth()
        depth = ((self.get_nodeattr("Kernel") - 1) * w + ow) * c // pe
        res = zero_resources()
        res.update(LUT=50.0 + 2 * pe * bits, FF=50.0 + 2 * pe * bits)
        if depth > 256:
            res["BRAM36"] = float(bram36_for(depth, pe * bits))
        else:
            res["LUTRAM"] = float(lutram_for(depth, pe * bits))
            res["LUT"] += res["LUTRAM"]
        return res

    def reference(self, x: np.ndarray) -> np.ndarray:
        return maxpool_nhwc(
            x, self.get_nodeattr("Kernel"), self.get_nodeattr("Stride"), self.get_nodeattr("Pads")
        )
