"""The abstract hardware layer: every op streams NHWC integers and answers the same
questions (shapes, datatypes, folding, stream widths, numpy execution, cycles, resources)."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

from qnnflow.errors import QnnflowError

DOMAIN = "qnnflow.ops"


class FoldingError(QnnflowError):
    """A folding (PE/SIMD) that the hardware cannot implement; names the layer and why."""


class HWOp(CustomOp):
    """Base of all hardware ops (domain `qnnflow.ops`). Subclasses implement the abstract
    methods; `execute_node` calls the subclass's module-level numpy reference."""

    def get_nodeattr_types(self) -> dict:
        return {
            "inputDataType": ("s", True, ""),
            "outputDataType": ("s", True, ""),
            "backend": ("s", False, "hls", {"hls"}),
        }

    # ---- shapes and types -------------------------------------------------------------
    @abstractmethod
    def normal_input_shape(self) -> tuple[int, ...]: ...

    @abstractmethod
    def normal_output_shape(self) -> tuple[int, ...]: ...

    @abstractmethod
    def folded_input_shape(self) -> tuple[int, ...]:
        """Input shape with the last axis split into (words, elements per word)."""

    @abstractmethod
    def folded_output_shape(self) -> tuple[int, ...]: ...

    @staticmethod
    def fold_last_axis(shape: tuple[int, ...], per_word: int) -> tuple[int, ...]:
        """[..., N] -> [..., N / per_word, per_word]: the stream's words and their elements."""
        return (*shape[:-1], shape[-1] // per_word, per_word)

    def input_dtype(self) -> DataType:
        return DataType[self.get_nodeattr("inputDataType")]

    def output_dtype(self) -> DataType:
        return DataType[self.get_nodeattr("outputDataType")]

    def instream_width_bits(self) -> int:
        return self.folded_input_shape()[-1] * self.input_dtype().bitwidth()

    def outstream_width_bits(self) -> int:
        return self.folded_output_shape()[-1] * self.output_dtype().bitwidth()

    # ---- folding, performance, resources ----------------------------------------------
    def check_folding(self) -> None:
        """Raise FoldingError when the folding attributes are illegal; legal by default."""

    @abstractmethod
    def cycles(self) -> int:
        """Clock cycles to process one frame at II=1 per folded step."""

    @abstractmethod
    def resources(self) -> dict[str, float]:
        """Estimated LUT, FF, BRAM36, LUTRAM, DSP (formulas in each op's docstring)."""

    # ---- execution ---------------------------------------------------------------------
    @abstractmethod
    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        """The op's bit-exact numpy semantics on normal-shaped inputs."""

    def execute_node(self, context: dict, graph) -> None:
        node = self.onnx_node
        inputs = [context[name] for name in node.input]
        out = self.reference(*inputs)
        context[node.output[0]] = np.asarray(out, dtype=np.float32).reshape(
            self.normal_output_shape()
        )

    def make_shape_compatible_op(self, model):
        return self.make_const_shape_op(list(self.normal_output_shape()))

    def infer_node_datatype(self, model) -> None:
        model.set_tensor_datatype(self.onnx_node.output[0], self.output_dtype())

    def verify_node(self) -> None:
        self.check_folding()

    def fail(self, reason: str) -> FoldingError:
        return FoldingError(f"{self.onnx_node.op_type} '{self.onnx_node.name}': {reason}")

    def require_divides(self, factor_name: str, factor: int, total_name: str, total: int) -> None:
        if factor < 1 or total % factor:
            raise self.fail(f"{factor_name}={factor} must divide {total_name}={total}")


class SpatialOp(HWOp):
    """An op on one NHWC frame whose `_dims()` gives (H, W, OH, OW, C) and whose stream words
    hold `WORD_ATTR` channels (max-pool, pad, upsample)."""

    WORD_ATTR = "SIMD"

    @abstractmethod
    def _dims(self) -> tuple[int, int, int, int, int]: ...

    def normal_input_shape(self) -> tuple[int, ...]:
        h, w, _, _, c = self._dims()
        return (1, h, w, c)

    def normal_output_shape(self) -> tuple[int, ...]:
        _, _, oh, ow, c = self._dims()
        return (1, oh, ow, c)

    def folded_input_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.get_nodeattr(self.WORD_ATTR))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_output_shape(), self.get_nodeattr(self.WORD_ATTR))

    def check_folding(self) -> None:
        word = self.get_nodeattr(self.WORD_ATTR)
        self.require_divides(self.WORD_ATTR, word, "channels", self._dims()[4])
