"""The abstract hardware layer: every op streams NHWC integers and answers the same
questions (shapes, datatypes, folding attributes and their legal values, stream widths and
order, fill words, numpy execution, cycles, resources), so passes ask instead of switching
on op types. A concrete subclass in a module of qnnflow.ops is registered by being there."""

from __future__ import annotations

import itertools
import math
from abc import abstractmethod
from dataclasses import dataclass, field

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

from qnnflow.errors import QnnflowError

DOMAIN = "qnnflow.ops"


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


class FoldingError(QnnflowError):
    """A folding (PE/SIMD) that the hardware cannot implement; names the layer and why."""


@dataclass(frozen=True)
class FoldPlan:
    """Whole-graph folding decisions the ops' options depend on: which weight layers stream
    their weights from DDR, and which window generators must buffer whole frames (those
    at or after the first streamed layer, whose outputs leave channel-group-major)."""

    streamed: frozenset[str] = frozenset()
    frame_buffered: frozenset[str] = field(default_factory=frozenset)


class HWOp(CustomOp):
    """Base of all hardware ops (domain `qnnflow.ops`). Subclasses implement the abstract
    methods; `execute_node` calls the subclass's module-level numpy reference."""

    FOLD_ATTRS: tuple[str, ...] = ()  # attributes a folding config may set on this op
    PLUMBING = False  # moves its stream unchanged; inserted after folding (FIFO, converter)
    # its kernel reads a channel-group-major stream (ops per channel, or a window storing the
    # frame); joins, upsampling and a matrix-vector unit without a window need normal order
    TAKES_GROUP_MAJOR = True

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

    def fold_choices(self) -> dict[str, list]:
        """Candidate values of each folding attribute automatic folding tries (each still
        checked by check_folding); {} keeps the op as it is."""
        return {}

    def fold_partners(self, model) -> list:
        """Upstream nodes folded together with this op (they share its input word)."""
        return []

    def fold_options(self, model, plan: FoldPlan) -> list[dict[str, dict]]:
        """Every candidate folding of this op and its partners, {node name: attributes}."""
        choices = self.fold_choices()
        keys = sorted(choices)
        name = self.onnx_node.name
        return [
            {name: dict(zip(keys, values, strict=True))}
            for values in itertools.product(*(choices[k] for k in keys))
        ]

    def apply_plan(self, model) -> None:
        """Set what this op's folding implies on its partners (e.g. a window generator's
        replays and frame buffer); nothing by default."""

    def macs(self) -> int:
        """Multiply-accumulates per frame (0 for ops that compute none)."""
        return 0

    def weight_bits(self) -> int:
        """Bits of the weights this op holds (0 when it has none)."""
        return 0

    def can_stream_weights(self, model) -> bool:
        """Whether this op may read its weights from DDR once per frame instead of on chip."""
        return False

    def ddr_bytes_per_frame(self) -> int:
        """Bytes read from DDR per frame (0 when everything lives on chip)."""
        return 0

    # ---- stream order and latency ------------------------------------------------------
    def words_per_frame(self, index: int = 0) -> int:
        """Input words of input `index` per frame (one copy of the frame)."""
        shape = self.folded_input_shape(index) if index else self.folded_input_shape()
        return int(np.prod(shape[:-1]))

    def fill_words(self) -> int:
        """Input words consumed before the first output word leaves; by default the whole
        frame (an op that says nothing is assumed to buffer it)."""
        return self.words_per_frame()

    def burst_words(self) -> tuple[int, int]:
        """(input, output) words this op takes or writes in one burst, at one word per cycle
        between pauses: the FIFOs on its streams hold a few bursts so that a neighbour does
        not wait out each pause (InsertFIFOs' lag rule). 0: a steady stream."""
        return 0, 0

    def output_channel_groups(self, input_groups: int) -> int:
        """Channel groups G of the output stream given the input's: per-channel ops pass a
        channel-group-major order on unchanged (see qnnflow.ops.stream_order)."""
        return input_groups

    def output_frame_replays(self, input_replays: int) -> int:
        """Copies of each frame on the output stream given the input's (1: not replayed)."""
        return input_replays if self.PLUMBING else 1

    def group_word(self) -> tuple[str, int, int] | None:
        """(attribute, current value, channels) of the word that must divide C/G when the
        input arrives in G channel groups; None when the op has no such word."""
        return None

    def fit_channel_groups(self, groups: int) -> tuple[str, int] | None:
        """(attribute, value) that fits the group word to C/G channels, or None."""
        word = self.group_word()
        if word is None or groups == 1:
            return None
        attr, current, channels = word
        return attr, math.gcd(current, channels // groups)

    @abstractmethod
    def cycles(self) -> int:
        """Clock cycles to process one frame at II=1 per folded step."""

    @abstractmethod
    def resources(self) -> dict[str, float]:
        """Estimated LUT, FF, BRAM36, LUTRAM, DSP (formulas in each op's docstring)."""

    # ---- execution ---------------------------------------------------------------------
    @abstractmethod
    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        """The op's bit-exact numpy semantics on normal-shaped inputs, in its normal output
        shape (execute_node's reshape only guards it)."""

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


class ChannelLanesOp(HWOp):
    """An op whose stream words hold PE of its NumChannels channels (thresholding, residual
    add, global pooling): PE is its one folding attribute and must divide the channels."""

    FOLD_ATTRS = ("PE",)

    def check_lanes(self) -> None:
        channels = self.get_nodeattr("NumChannels")
        self.require_divides("PE", self.get_nodeattr("PE"), "channels", channels)

    def check_folding(self) -> None:
        self.check_lanes()

    def fold_choices(self) -> dict[str, list]:
        return {"PE": divisors(self.get_nodeattr("NumChannels"))}

    def group_word(self) -> tuple[str, int, int] | None:
        return "PE", self.get_nodeattr("PE"), self.get_nodeattr("NumChannels")


class SpatialOp(HWOp):
    """An op on one NHWC frame whose `_dims()` gives (H, W, OH, OW, C) and whose stream words
    hold `WORD_ATTR` channels (max-pool, pad, upsample)."""

    WORD_ATTR = "SIMD"

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.FOLD_ATTRS = (cls.WORD_ATTR,)

    @abstractmethod
    def _dims(self) -> tuple[int, int, int, int, int]: ...

    def fold_choices(self) -> dict[str, list]:
        return {self.WORD_ATTR: divisors(self._dims()[4])}

    def group_word(self) -> tuple[str, int, int] | None:
        return self.WORD_ATTR, self.get_nodeattr(self.WORD_ATTR), self._dims()[4]

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
