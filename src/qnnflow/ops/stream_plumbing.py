"""Ops that move data without changing it: FIFOs and stream width converters.

Behind a SlidingWindow that replays its frame R times (frameReplays, in front of a DDR-
streamed MatrixVectorUnit) they pass all R copies: their frameReplays is set from the graph
by qnnflow.ops.stream_order.sync_passthrough_replays, and their cycles count every copy."""

from __future__ import annotations

import math

import numpy as np

from qnnflow.ops.base import HWOp
from qnnflow.ops.estimate import bram36_for, zero_resources


class _Passthrough(HWOp):
    """Identity on a tensor of `shape`, whose last axis is `folded` into words."""

    PLUMBING = True

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(shape=("ints", True, []), frameReplays=("i", False, 1))
        return attrs

    def replays(self) -> int:
        return max(1, self.get_nodeattr("frameReplays"))

    def normal_input_shape(self) -> tuple[int, ...]:
        return tuple(self.get_nodeattr("shape"))

    def normal_output_shape(self) -> tuple[int, ...]:
        return self.normal_input_shape()

    def reference(self, x: np.ndarray) -> np.ndarray:
        return x


class StreamingFIFO(_Passthrough):
    """A FIFO of `depth` words of `elemsPerWord` elements. Depth <= 32: shift registers
    (LUT = width*ceil(depth/32)); otherwise BRAM36 tiles for depth x width.
    cycles = frameReplays * words per frame."""

    FOLD_ATTRS = ("depth",)

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(depth=("i", True, 2), elemsPerWord=("i", True, 1))
        return attrs

    def folded_input_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.get_nodeattr("elemsPerWord"))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.folded_input_shape()

    def check_folding(self) -> None:
        self.require_divides(
            "elemsPerWord",
            self.get_nodeattr("elemsPerWord"),
            "last axis",
            self.normal_input_shape()[-1],
        )

    def fill_words(self) -> int:
        return 0

    def cycles(self) -> int:
        return self.replays() * self.words_per_frame()

    def resources(self) -> dict[str, float]:
        depth, width = self.get_nodeattr("depth"), self.instream_width_bits()
        res = zero_resources()
        if depth <= 32:
            res["LUT"] = float(width * math.ceil(depth / 32))
        else:
            res["BRAM36"] = float(bram36_for(depth, width))
            res["LUT"] = 30.0
        res["FF"] = float(width + 20)
        return res


class WidthConverter(_Passthrough):
    """Regroups a stream from `inElems` to `outElems` elements per word (both divide the
    last axis). cycles = frameReplays * max(input words, output words) per frame.
    Resources follow the RTL kernel (rtl/qnnflow/width_converter.sv), whose buffer holds
    2 * (in + out) elements so that in0_tready depends on registers only: FF = 2 * (in + out
    stream bits) plus the element counter; LUT = 5 * (in + out stream bits), the buffer's
    shift-or-insert mux (2.5 LUTs per buffer bit, fitted to Yosys on the default model's 12
    converters: 3,000 estimated vs 2,694 synthesized; the former `in + out bits` was 4.5x
    low)."""

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(inElems=("i", True, 1), outElems=("i", True, 1))
        return attrs

    def folded_input_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.get_nodeattr("inElems"))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_output_shape(), self.get_nodeattr("outElems"))

    def check_folding(self) -> None:
        last = self.normal_input_shape()[-1]
        self.require_divides("inElems", self.get_nodeattr("inElems"), "last axis", last)
        self.require_divides("outElems", self.get_nodeattr("outElems"), "last axis", last)

    def fill_words(self) -> int:
        """A wider output word waits for all the input words it gathers."""
        return max(1, self.get_nodeattr("outElems") // self.get_nodeattr("inElems"))

    def cycles(self) -> int:
        out_words = int(np.prod(self.folded_output_shape()[:-1]))
        return self.replays() * max(self.words_per_frame(), out_words)

    def resources(self) -> dict[str, float]:
        width = self.instream_width_bits() + self.outstream_width_bits()
        elems = 2 * (self.get_nodeattr("inElems") + self.get_nodeattr("outElems"))
        res = zero_resources()
        res.update(LUT=5.0 * width, FF=2.0 * width + math.ceil(math.log2(elems + 1)))
        return res
