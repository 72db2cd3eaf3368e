"""DuplicateStreams: a fork that copies one stream to N consumers (a hardware tensor read by
several hardware nodes, as at YOLOv3's route layers); an AXI stream has one reader."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper

from qnnflow.ops.base import HWOp, divisors
from qnnflow.ops.estimate import zero_resources


class DuplicateStreams(HWOp):
    """Input x of `shape` (last axis = channels), N = NumOutputStreams identical outputs.

    A word is taken from the input only when every output can accept it, so the slowest
    consumer sets the pace (FIFO depths at the joins are sized by InsertFIFOs).
    cycles = prod(shape[:-1]) * C/SIMD. No memory. LUT = 20 + 2*N (handshake and-tree),
    FF = 20 + N*SIMD*bits (one output register per stream)."""

    FOLD_ATTRS = ("SIMD",)

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(
            shape=("ints", True, []),
            NumOutputStreams=("i", True, 2),
            SIMD=("i", False, 1),
        )
        return attrs

    def num_outputs(self) -> int:
        return self.get_nodeattr("NumOutputStreams")

    def normal_input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.get_nodeattr("shape"))

    def normal_output_shape(self) -> tuple[int, ...]:
        return self.normal_input_shape()

    def folded_input_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.get_nodeattr("SIMD"))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.folded_input_shape()

    def check_folding(self) -> None:
        if self.num_outputs() < 2:
            raise self.fail(f"NumOutputStreams must be >= 2, got {self.num_outputs()}")
        if len(self.onnx_node.output) != self.num_outputs():
            raise self.fail(
                f"{len(self.onnx_node.output)} outputs for NumOutputStreams={self.num_outputs()}"
            )
        if self.input_dtype() != self.output_dtype():
            raise self.fail(
                f"output type {self.output_dtype().name} differs from input type "
                f"{self.input_dtype().name}"
            )
        channels = self.normal_input_shape()[-1]
        self.require_divides("SIMD", self.get_nodeattr("SIMD"), "channels", channels)

    def fold_choices(self) -> dict[str, list]:
        return {"SIMD": divisors(self.normal_input_shape()[-1])}

    def fill_words(self) -> int:
        return 1

    def cycles(self) -> int:
        return int(np.prod(self.folded_input_shape()[:-1]))

    def resources(self) -> dict[str, float]:
        n = self.num_outputs()
        width = self.get_nodeattr("SIMD") * self.input_dtype().bitwidth()
        res = zero_resources()
        res.update(LUT=20.0 + 2 * n, FF=20.0 + n * width)
        return res

    def reference(self, x: np.ndarray) -> np.ndarray:
        if tuple(x.shape) != self.normal_input_shape():
            raise self.fail(f"input has shape {x.shape}, expected {self.normal_input_shape()}")
        return x

    def execute_node(self, context: dict, graph) -> None:
        out = np.asarray(self.reference(context[self.onnx_node.input[0]]), dtype=np.float32)
        for name in self.onnx_node.output:
            context[name] = out.copy()

    def make_shape_compatible_op(self, model):
        """ONNX shape inference needs a standard node with the same N outputs: an If whose
        branches both return the input N times (never executed, only inferred). qonnx finds
        the node again by its text, so the branches carry complete types that inference
        does not rewrite."""
        x = self.onnx_node.input[0]
        shape = list(self.normal_output_shape())  # fully typed: inference leaves it as is

        def branch(tag: str):
            outs = [f"{x}_{tag}{i}" for i in range(len(self.onnx_node.output))]
            nodes = [helper.make_node("Identity", [x], [o]) for o in outs]
            values = [helper.make_tensor_value_info(o, TensorProto.FLOAT, shape) for o in outs]
            return helper.make_graph(nodes, f"{self.onnx_node.name}_{tag}", [], values)

        return helper.make_node(
            "If",
            [x],
            list(self.onnx_node.output),
            then_branch=branch("then"),
            else_branch=branch("else"),
        )

    def infer_node_datatype(self, model) -> None:
        for name in self.onnx_node.output:
            model.set_tensor_datatype(name, self.output_dtype())
