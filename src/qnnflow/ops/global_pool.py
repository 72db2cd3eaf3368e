"""GlobalAccPool: the per-channel sum of every pixel of an NHWC frame (global average
pooling without its 1/(H*W), which streamlining keeps as a float scale and moves into the
next thresholds, or the host applies at the end)."""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType

from qnnflow.ops.base import ChannelLanesOp
from qnnflow.ops.concat import int_type_for_range
from qnnflow.ops.estimate import lutram_for, zero_resources


def pool_sum_type(dtype: DataType, pixels: int) -> DataType:
    """The narrowest integer type holding the sum of `pixels` values of `dtype`."""
    if not dtype.is_integer():
        raise ValueError(f"need an integer datatype, got {dtype.name}")
    return int_type_for_range(pixels * int(dtype.min()), pixels * int(dtype.max()))


class GlobalAccPool(ChannelLanesOp):
    """Input [1, H, W, C] (ImgDim = [H, W]), output [1, 1, 1, C]: out[c] = sum of x[:, :, c]
    in outputDataType, which must hold every sum (pool_sum_type of the input type).

    One input word of PE channels per cycle; a channel's sum leaves after its last pixel.
    A channel-group-major input (G groups) is summed group by group; a 1x1 output is the
    same in every order, so the output carries no groups.
    cycles = H*W*C/PE. Accumulators: C*obits bits in LUTRAM (C/PE deep, PE*obits wide);
    LUT = 20 + PE*obits (adders) + LUTRAM, FF = 20 + PE*obits (output register)."""

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(
            NumChannels=("i", True, 0),
            ImgDim=("ints", True, [1, 1]),
            PE=("i", False, 1),
        )
        return attrs

    def pixels(self) -> int:
        h, w = self.get_nodeattr("ImgDim")
        return int(h) * int(w)

    def normal_input_shape(self) -> tuple[int, ...]:
        h, w = self.get_nodeattr("ImgDim")
        return (1, int(h), int(w), self.get_nodeattr("NumChannels"))

    def normal_output_shape(self) -> tuple[int, ...]:
        return (1, 1, 1, self.get_nodeattr("NumChannels"))

    def folded_input_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.get_nodeattr("PE"))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_output_shape(), self.get_nodeattr("PE"))

    def check_folding(self) -> None:
        idt, odt = self.input_dtype(), self.output_dtype()
        if not (idt.is_integer() and odt.is_integer()):
            raise self.fail(f"needs integer types, got {idt.name} -> {odt.name}")
        low, high = self.pixels() * int(idt.min()), self.pixels() * int(idt.max())
        if low < odt.min() or high > odt.max():
            raise self.fail(
                f"output type {odt.name} cannot hold sums in [{low}, {high}] of "
                f"{self.pixels()} {idt.name} values (use {pool_sum_type(idt, self.pixels()).name})"
            )
        self.check_lanes()

    def output_channel_groups(self, input_groups: int) -> int:
        return 1  # one pixel: group-major and plain order coincide

    def cycles(self) -> int:
        return self.words_per_frame()

    def resources(self) -> dict[str, float]:
        pe, channels = self.get_nodeattr("PE"), self.get_nodeattr("NumChannels")
        width = pe * self.output_dtype().bitwidth()
        res = zero_resources()
        res["LUTRAM"] = float(lutram_for(channels // pe, width))
        res["LUT"] = 20.0 + width + res["LUTRAM"]
        res["FF"] = 20.0 + width
        return res

    def reference(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if tuple(x.shape) != self.normal_input_shape():
            raise self.fail(f"input has shape {x.shape}, expected {self.normal_input_shape()}")
        return x.sum(axis=(1, 2), keepdims=True)
