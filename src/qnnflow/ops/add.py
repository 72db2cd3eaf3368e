"""StreamingAdd: elementwise sum of two equally shaped NHWC integer streams (a residual
connection x + f(x), which streamlining leaves as an integer Add of two codes; Brevitas
may quantize the branches to different types, e.g. UINT8 after a ReLU beside INT8)."""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType

from qnnflow.ops.base import ChannelLanesOp
from qnnflow.ops.concat import int_type_for_range
from qnnflow.ops.estimate import zero_resources


def sum_range(a: DataType, b: DataType) -> tuple[int, int]:
    """[low, high] of the sum of a value of `a` and one of `b`."""
    return int(a.min()) + int(b.min()), int(a.max()) + int(b.max())


def sum_type(a: DataType, b: DataType | None = None) -> DataType:
    """The narrowest integer type holding the sum of a value of `a` and one of `b` (or `a`)."""
    b = a if b is None else b
    if not a.is_integer() or not b.is_integer():
        raise ValueError(f"need integer datatypes, got {a.name} and {b.name}")
    return int_type_for_range(*sum_range(a, b))


class StreamingAdd(ChannelLanesOp):
    """Inputs a, b of shape [*numInputVectors, NumChannels] and types inputDataTypes, output
    a + b in outputDataType, which must hold every sum (sum_type of the two).

    Both inputs arrive in the same order (channel groups pass through, as for any
    per-channel op); one word of PE elements from each input per cycle.
    cycles = prod(numInputVectors) * C/PE. No memory.
    LUT = 20 + PE*obits (one adder per lane), FF = 20 + PE*obits (output register)."""

    TAKES_GROUP_MAJOR = False  # see HWOp

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(
            inputDataType=("s", False, ""),  # unused: one type per input, below
            inputDataTypes=("strings", True, []),
            NumChannels=("i", True, 0),
            PE=("i", False, 1),
            numInputVectors=("ints", False, [1]),  # e.g. [1, H, W]
        )
        return attrs

    def input_dtype(self, index: int = 0) -> DataType:
        return DataType[self.get_nodeattr("inputDataTypes")[index]]

    def instream_width_bits(self, index: int = 0) -> int:
        return self.get_nodeattr("PE") * self.input_dtype(index).bitwidth()

    def normal_input_shape(self, index: int = 0) -> tuple[int, ...]:
        vectors = [int(v) for v in self.get_nodeattr("numInputVectors")]
        return (*vectors, self.get_nodeattr("NumChannels"))

    def normal_output_shape(self) -> tuple[int, ...]:
        return self.normal_input_shape()

    def folded_input_shape(self, index: int = 0) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.get_nodeattr("PE"))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.folded_input_shape()

    def check_folding(self) -> None:
        if len(self.onnx_node.input) != 2:
            raise self.fail(f"adds exactly 2 streams, got {len(self.onnx_node.input)} inputs")
        if len(self.get_nodeattr("inputDataTypes")) != 2:
            raise self.fail(f"needs 2 inputDataTypes, got {self.get_nodeattr('inputDataTypes')}")
        a, b, odt = self.input_dtype(0), self.input_dtype(1), self.output_dtype()
        if not (a.is_integer() and b.is_integer() and odt.is_integer()):
            raise self.fail(f"needs integer types, got {a.name} + {b.name} -> {odt.name}")
        low, high = sum_range(a, b)
        if low < odt.min() or high > odt.max():
            raise self.fail(
                f"output type {odt.name} cannot hold sums in [{low}, {high}] of {a.name} and "
                f"{b.name} values (use {sum_type(a, b).name})"
            )
        self.check_lanes()

    def fill_words(self) -> int:
        return 1

    def cycles(self) -> int:
        return self.words_per_frame()

    def resources(self) -> dict[str, float]:
        width = self.get_nodeattr("PE") * self.output_dtype().bitwidth()
        res = zero_resources()
        res.update(LUT=20.0 + width, FF=20.0 + width)
        return res

    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        if len(inputs) != 2:
            raise self.fail(f"got {len(inputs)} inputs, expected 2")
        for i, x in enumerate(inputs):
            if tuple(x.shape) != self.normal_input_shape():
                raise self.fail(
                    f"input {i} has shape {x.shape}, expected {self.normal_input_shape()}"
                )
        return np.add(inputs[0], inputs[1], dtype=np.float64)  # exact past float32's 2**24
