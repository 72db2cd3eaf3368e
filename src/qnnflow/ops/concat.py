"""StreamingConcat: channel concatenation of N NHWC streams of the same H x W (Darknet's
[route] with several layers, YOLOv3's skip connection after the upsample)."""

from __future__ import annotations

import math

import numpy as np
from qonnx.core.datatype import DataType

from qnnflow.ops.base import HWOp, divisors
from qnnflow.ops.estimate import zero_resources


def smallest_int_type(dtypes: list[DataType]) -> DataType:
    """The narrowest qonnx integer type holding every value of every dtype in `dtypes`
    (the dtype itself when they all agree: BIPOLAR stays BIPOLAR)."""
    if not dtypes or not all(d.is_integer() for d in dtypes):
        raise ValueError(f"need integer datatypes, got {[d.name for d in dtypes]}")
    if len({d.name for d in dtypes}) == 1:
        return dtypes[0]
    return int_type_for_range(int(min(d.min() for d in dtypes)), int(max(d.max() for d in dtypes)))


def int_type_for_range(low: int, high: int) -> DataType:
    """The narrowest qonnx integer type (BINARY, UINTn or INTn) holding [low, high]."""
    if low >= 0:
        if high <= 1:
            return DataType["BINARY"]
        return DataType[f"UINT{max(1, high).bit_length()}"]
    bits = max((-low - 1).bit_length(), high.bit_length()) + 1
    return DataType[f"INT{bits}"]


class StreamingConcat(HWOp):
    """Inputs x_i [1, H, W, C_i] (datatypes `inputDataTypes`), output [1, H, W, sum C_i]
    in `outputDataType`, which must hold every input's range (values are unchanged).

    Per pixel the op reads C_0/SIMD words from stream 0, then C_1/SIMD from stream 1, ...,
    and writes each word out widened to the output type, so SIMD must divide every C_i.
    cycles = H*W*sum(C_i)/SIMD (one output word per cycle).
    No memory. LUT = 40 + N*SIMD*obits (an N-way output mux; sign/zero extension is wiring),
    FF = 40 + SIMD*obits (output register)."""

    TAKES_GROUP_MAJOR = False  # see HWOp

    FOLD_ATTRS = ("SIMD",)

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(
            inputDataType=("s", False, ""),  # unused: one type per input, below
            inputDataTypes=("strings", True, []),
            ImgDim=("ints", True, []),  # [H, W]
            ChannelsPerStream=("ints", True, []),
            SIMD=("i", False, 1),
        )
        return attrs

    def channels(self) -> list[int]:
        return [int(c) for c in self.get_nodeattr("ChannelsPerStream")]

    def num_inputs(self) -> int:
        return len(self.channels())

    def input_dtype(self, index: int = 0) -> DataType:
        return DataType[self.get_nodeattr("inputDataTypes")[index]]

    def normal_input_shape(self, index: int = 0) -> tuple[int, ...]:
        h, w = self.get_nodeattr("ImgDim")
        return (1, h, w, self.channels()[index])

    def normal_output_shape(self) -> tuple[int, ...]:
        h, w = self.get_nodeattr("ImgDim")
        return (1, h, w, sum(self.channels()))

    def folded_input_shape(self, index: int = 0) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(index), self.get_nodeattr("SIMD"))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_output_shape(), self.get_nodeattr("SIMD"))

    def instream_width_bits(self, index: int = 0) -> int:
        return self.folded_input_shape(index)[-1] * self.input_dtype(index).bitwidth()

    def check_folding(self) -> None:
        channels = self.channels()
        if len(channels) < 2:
            raise self.fail(f"needs at least 2 input streams, got {len(channels)}")
        if len(self.get_nodeattr("inputDataTypes")) != len(channels):
            raise self.fail(
                f"{len(self.get_nodeattr('inputDataTypes'))} inputDataTypes for "
                f"{len(channels)} streams"
            )
        if len(self.onnx_node.input) != len(channels):
            raise self.fail(f"{len(self.onnx_node.input)} inputs for {len(channels)} streams")
        simd = self.get_nodeattr("SIMD")
        for i, c in enumerate(channels):
            self.require_divides("SIMD", simd, f"channels of input {i}", c)
        odt = self.output_dtype()
        dtypes = [self.input_dtype(i) for i in range(len(channels))]
        for i, idt in enumerate(dtypes):
            if idt.min() < odt.min() or idt.max() > odt.max():
                raise self.fail(
                    f"output type {odt.name} cannot hold input {i} of type {idt.name} "
                    f"(use {smallest_int_type(dtypes).name})"
                )

    def fold_choices(self) -> dict[str, list]:
        """One SIMD must divide every input's channels."""
        return {"SIMD": divisors(self.gcd_channels())}

    def fill_words(self) -> int:
        return 1

    def cycles(self) -> int:
        h, w = self.get_nodeattr("ImgDim")
        return h * w * sum(self.channels()) // self.get_nodeattr("SIMD")

    def resources(self) -> dict[str, float]:
        width = self.get_nodeattr("SIMD") * self.output_dtype().bitwidth()
        res = zero_resources()
        res.update(LUT=40.0 + self.num_inputs() * width, FF=40.0 + width)
        return res

    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        if len(inputs) != self.num_inputs():
            raise self.fail(f"got {len(inputs)} inputs, expected {self.num_inputs()}")
        for i, x in enumerate(inputs):
            if tuple(x.shape) != self.normal_input_shape(i):
                raise self.fail(
                    f"input {i} has shape {x.shape}, expected {self.normal_input_shape(i)}"
                )
        return np.concatenate(inputs, axis=-1)

    def gcd_channels(self) -> int:
        """The largest SIMD every input allows."""
        return math.gcd(*self.channels())
