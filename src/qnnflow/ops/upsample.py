"""Upsample: nearest-neighbour upscaling of an NHWC stream by integer factors (Darknet's
[upsample] stride, ONNX Resize with mode=nearest where it maps output pixel i to i // f)."""

from __future__ import annotations

import numpy as np

from qnnflow.ops.base import SpatialOp
from qnnflow.ops.estimate import bram36_for, lutram_for, zero_resources

ROW_BUFFER_LUTRAM_MAX_WORDS = 256  # deeper row buffers go to block RAM


def upsample_nearest_nhwc(x: np.ndarray, factors: list[int]) -> np.ndarray:
    """[N, H, W, C] -> [N, H*fh, W*fw, C], out[:, i, j] = x[:, i // fh, j // fw]."""
    fh, fw = factors
    return np.repeat(np.repeat(x, fh, axis=1), fw, axis=2)


class Upsample(SpatialOp):
    """Reads input row r into a one-row buffer while writing each pixel fw times (output row
    r*fh), then replays the buffer fh-1 times; input reads overlap the first output row.
    A channel-group-major input is upsampled group by group (its SIMD must divide C/G).

    cycles = OH*OW*C/SIMD (one output word per cycle).
    Row buffer: W*C/SIMD words of SIMD*bits, BRAM36 when deeper than 256 words else LUTRAM.
    LUT = 40 + 2*SIMD*bits (+ LUTRAM), FF = 40 + SIMD*bits."""

    TAKES_GROUP_MAJOR = False  # see HWOp

    WORD_ATTR = "SIMD"

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(
            ImgDim=("ints", True, []),  # input [H, W]
            Factor=("ints", True, []),  # [fh, fw]
            NumChannels=("i", True, 0),
            SIMD=("i", False, 1),
        )
        return attrs

    def _dims(self) -> tuple[int, int, int, int, int]:
        h, w = self.get_nodeattr("ImgDim")
        fh, fw = self.get_nodeattr("Factor")
        return h, w, h * fh, w * fw, self.get_nodeattr("NumChannels")

    def check_folding(self) -> None:
        factors = self.get_nodeattr("Factor")
        if len(factors) != 2 or min(factors) < 1:
            raise self.fail(f"Factor must be two integers >= 1, got {list(factors)}")
        if self.input_dtype() != self.output_dtype():
            raise self.fail(
                f"output type {self.output_dtype().name} differs from input type "
                f"{self.input_dtype().name} (nearest upsampling copies values)"
            )
        super().check_folding()

    def fill_words(self) -> int:
        return 1

    def cycles(self) -> int:
        _, _, oh, ow, c = self._dims()
        return oh * ow * c // self.get_nodeattr("SIMD")

    def burst_words(self) -> tuple[int, int]:
        """It reads an input row, then writes its copies without reading (output steady)."""
        return self.row_buffer_words(), 0

    def row_buffer_words(self) -> int:
        _, w, _, _, c = self._dims()
        return w * c // self.get_nodeattr("SIMD")

    def resources(self) -> dict[str, float]:
        width = self.get_nodeattr("SIMD") * self.input_dtype().bitwidth()
        depth = self.row_buffer_words()
        res = zero_resources()
        res.update(LUT=40.0 + 2 * width, FF=40.0 + width)
        if depth > ROW_BUFFER_LUTRAM_MAX_WORDS:
            res["BRAM36"] = float(bram36_for(depth, width))
        else:
            res["LUTRAM"] = float(lutram_for(depth, width))
            res["LUT"] += res["LUTRAM"]
        return res

    def reference(self, x: np.ndarray) -> np.ndarray:
        if tuple(x.shape) != self.normal_input_shape():
            raise self.fail(f"input has shape {x.shape}, expected {self.normal_input_shape()}")
        return upsample_nearest_nhwc(x, self.get_nodeattr("Factor"))
