"""SlidingWindow: turns an NHWC feature map into one K*K*C window vector per output pixel
(element order ky, kx, c), the input of a MatrixVectorUnit."""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from qnnflow.ops.base import HWOp, divisors
from qnnflow.ops.estimate import bram18_for, bram36_for, lutram_for, zero_resources

BUFFER_LUTRAM_MAX_WORDS = 256  # deeper line or frame buffers go to block RAM


def sliding_windows(x: np.ndarray, kernel: list[int], stride: list[int]) -> np.ndarray:
    """[N, H, W, C] -> [N, OH, OW, KH*KW*C] with windows ordered (ky, kx, c): a strided view
    of every window, copied once by the reshape (4x the speed of one copy per kernel tap)."""
    (kh, kw), (sh, sw) = kernel, stride
    views = sliding_window_view(np.asarray(x), (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    n, oh, ow, c = views.shape[:4]  # [N, OH, OW, C, KH, KW]
    return views.transpose(0, 1, 2, 4, 5, 3).reshape(n, oh, ow, kh * kw * c)


class SlidingWindow(HWOp):
    """Line-buffered window generator (no padding: a Pad op comes first).

    With F = C/SIMD words per pixel, the kernel (hls/qnnflow/sliding_window.hpp and, cycle
    for cycle, rtl/qnnflow/sliding_window.sv) first reads KH rows, then per output row runs
    one block that writes its OW*KH*KW*F window words while reading the next SH input rows
    (the last block reads the (H-KH) mod SH rows left):
    cycles = KH*W*F + (OH-1)*max(OW*KH*KW*F, SH*W*F) + max(OW*KH*KW*F, ((H-KH) mod SH)*W*F).
    Buffer: KH+SH rows of W*C elements (depth (KH+SH)*W*F words of SIMD*bits) in BRAM when
    deeper than 256 words, else LUTRAM. LUT = 100 + 3*SIMD*bits (window mux), FF = 2*that.

    frameBuffer=1 (behind or in front of a stream_ddr MatrixVectorUnit): the whole input
    frame (H*W*C/I words of I = inputSIMD elements, SIMD when 0, written in whatever channel-
    group order it arrives) is stored, then its windows are generated frameReplays=R times
    (R = MH/PE of a stream_ddr consumer, else 1) in words of SIMD elements;
    cycles = H*W*C/I + R*OH*OW*KH*KW*C/SIMD (fill, then replay). inputSIMD lets a
    group-major input arrive in words no wider than its C/G channels while the windows
    leave SIMD wide; the kernel banks the frame so both sides move one word per cycle:
    BANKS = lcm(I, SIMD) / UNIT memories of UNIT = gcd(I, SIMD) elements, each at least one
    RAMB18 (or its own LUTRAM), so with I != SIMD the frame costs BANKS RAMB18 halves at
    least (Yosys: Tinier-YOLO's conv7 window generator, I = 2, SIMD = 128, 64 banks of
    900 x 6 bits, 64 RAMB18 = 32 BRAM36 where the former unbanked count said 11)."""

    FOLD_ATTRS = ("SIMD", "inputSIMD", "frameBuffer", "frameReplays")

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(
            ConvKernelDim=("ints", True, []),
            IFMChannels=("i", True, 0),
            IFMDim=("ints", True, []),
            Stride=("ints", True, []),
            SIMD=("i", False, 1),
            frameBuffer=("i", False, 0, {0, 1}),
            frameReplays=("i", False, 1),
            inputSIMD=("i", False, 0),  # input elements per word; 0: SIMD
        )
        return attrs

    def _geometry(self) -> tuple[int, int, int, int, int, int, int]:
        h, w = self.get_nodeattr("IFMDim")
        kh, kw = self.get_nodeattr("ConvKernelDim")
        sh, sw = self.get_nodeattr("Stride")
        return (
            h,
            w,
            kh,
            kw,
            (h - kh) // sh + 1,
            (w - kw) // sw + 1,
            self.get_nodeattr("IFMChannels"),
        )

    def normal_input_shape(self) -> tuple[int, ...]:
        h, w, *_, c = self._geometry()
        return (1, h, w, c)

    def normal_output_shape(self) -> tuple[int, ...]:
        _, _, kh, kw, oh, ow, c = self._geometry()
        return (1, oh, ow, kh * kw * c)

    def input_simd(self) -> int:
        return self.get_nodeattr("inputSIMD") or self.get_nodeattr("SIMD")

    def folded_input_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.input_simd())

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_output_shape(), self.get_nodeattr("SIMD"))

    def check_folding(self) -> None:
        h, w, kh, kw, oh, ow, c = self._geometry()
        if self.get_nodeattr("frameReplays") > 1 and not self.get_nodeattr("frameBuffer"):
            raise self.fail("frameReplays > 1 needs frameBuffer=1")
        self.require_divides("SIMD", self.get_nodeattr("SIMD"), "IFMChannels", c)
        self.require_divides("inputSIMD", self.input_simd(), "IFMChannels", c)
        if self.input_simd() != self.get_nodeattr("SIMD") and not self.get_nodeattr("frameBuffer"):
            raise self.fail("inputSIMD != SIMD needs frameBuffer=1")
        if oh < 1 or ow < 1:
            raise self.fail(f"kernel {kh}x{kw} does not fit the {h}x{w} input")

    def fold_choices(self) -> dict[str, list]:
        return {"SIMD": divisors(self.get_nodeattr("IFMChannels"))}

    def fill_words(self) -> int:
        """The frame buffer takes the whole frame; the line buffer KH-1 rows and KW pixels."""
        frame = self.words_per_frame()
        if self.get_nodeattr("frameBuffer"):
            return frame
        (kh, kw), (_, w) = self.get_nodeattr("ConvKernelDim"), self.get_nodeattr("IFMDim")
        per_pixel = self.get_nodeattr("IFMChannels") // self.get_nodeattr("SIMD")
        return min(frame, ((kh - 1) * w + kw) * per_pixel)

    def burst_words(self) -> tuple[int, int]:
        """A line buffer takes an input row while it has room, then pauses while it writes
        that row's windows: upstream keeps producing meanwhile. Its output rows need no
        buffer (measured: the FIFOs into the MVUs of the default model shrink to 32 words
        without loss); a frame buffer takes its frame whole."""
        if self.get_nodeattr("frameBuffer"):
            return 0, 0
        _, w, _, _, _, _, c = self._geometry()
        return w * c // self.input_simd(), 0

    def output_channel_groups(self, input_groups: int) -> int:
        """Windows leave in normal order whatever channel order the frame arrived in."""
        return 1

    def output_frame_replays(self, input_replays: int) -> int:
        return self.get_nodeattr("frameReplays")

    def group_word(self) -> tuple[str, int, int] | None:
        """The input word (inputSIMD) must fit a channel group; SIMD stays as it is."""
        return "inputSIMD", self.input_simd(), self.get_nodeattr("IFMChannels")

    def cycles(self) -> int:
        h, w, kh, kw, oh, ow, c = self._geometry()
        simd, replays = self.get_nodeattr("SIMD"), self.get_nodeattr("frameReplays")
        writes = oh * ow * kh * kw * c // simd
        if self.get_nodeattr("frameBuffer"):
            return h * w * c // self.input_simd() + replays * writes
        sh = self.get_nodeattr("Stride")[0]
        row, row_writes = w * c // simd, ow * kh * kw * c // simd
        last_rows = (h - kh) % sh
        return kh * row + (oh - 1) * max(row_writes, sh * row) + max(row_writes, last_rows * row)

    def buffer_words(self) -> int:
        """Words of SIMD elements the line buffer (KH+SH rows) or frame buffer holds."""
        h, w, kh, _, _, _, c = self._geometry()
        rows = h if self.get_nodeattr("frameBuffer") else kh + self.get_nodeattr("Stride")[0]
        return rows * w * c // self.get_nodeattr("SIMD")

    def resources(self) -> dict[str, float]:
        width = self.get_nodeattr("SIMD") * self.input_dtype().bitwidth()
        depth = self.buffer_words()
        res = zero_resources()
        res.update(LUT=100.0 + 3 * width, FF=100.0 + 6 * width)
        unit = math.gcd(self.input_simd(), self.get_nodeattr("SIMD"))
        banks = self.input_simd() * self.get_nodeattr("SIMD") // unit**2
        if self.get_nodeattr("frameBuffer") and banks > 1:
            self._add_banked_frame(res, banks, unit)
        elif depth > BUFFER_LUTRAM_MAX_WORDS:
            res["BRAM36"] = float(bram36_for(depth, width))
        else:
            res["LUTRAM"] = float(lutram_for(depth, width))
            res["LUT"] += res["LUTRAM"]
        return res

    def _add_banked_frame(self, res: dict[str, float], banks: int, unit: int) -> None:
        """The frame in `banks` memories of `unit`-element words (the kernel's banking)."""
        h, w, _, _, _, _, c = self._geometry()
        depth = -(-(h * w * c // unit) // banks)
        width = unit * self.input_dtype().bitwidth()
        if depth > BUFFER_LUTRAM_MAX_WORDS:
            res["BRAM36"] += banks * bram18_for(depth, width) / 2
        else:
            res["LUTRAM"] += banks * lutram_for(depth, width)
            res["LUT"] += banks * lutram_for(depth, width)

    def reference(self, x: np.ndarray) -> np.ndarray:
        return sliding_windows(x, self.get_nodeattr("ConvKernelDim"), self.get_nodeattr("Stride"))
