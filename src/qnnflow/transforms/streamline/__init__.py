"""Streamlining: a quantized (QONNX) CNN becomes an integer-only graph.

Quantizers turn into integer weights and MultiThreshold nodes producing integer codes; every
float scale, bias and BatchNorm is pushed downstream and folded into the next thresholds:

    Quant(x) -> Conv(Quant(W)) -> BatchNorm -> Relu -> Quant -> MaxPool -> ...
==> MultiThreshold(x) -> Conv(W_int) -> MultiThreshold(T_int) -> MaxPool -> ... -> Mul(s_out)

Fully connected layers (Gemm, MatMul) streamline alike, their output channels on the last
axis; scales pass the Reshape/Flatten in front of them.

Post-training quantized nets (Brevitas graph PTQ) add quantized biases (a Quant on the bias:
folded to its constant, then absorbed like a BatchNorm shift) and residual adds: a scale read
by both branches is copied per branch, and an Add of two equally scaled branches becomes an
integer Add followed by the one scale (which the next thresholds absorb). A global average
pooling of integer codes becomes an integer sum (ReduceSum over H, W) and a 1/(H*W) scale.

Branched detectors (YOLOv3's routes): a scale or shift read at a fork is copied per reader,
moves past nearest upsampling, and past a Concat whose inputs all carry one (equal scalars
stay a scalar that passes the next conv; different ones join into a per-channel vector).

What may stay float: the graph's last scale (Mul, and an Add when the last layer has no
activation quantizer), and the first thresholds when the graph input is float. Declare an
integer input (`Streamline(input_datatype="UINT8")` for pixels) and those thresholds, and any
scale in front of them (e.g. a /255), become integers too. Negative scales (BatchNorm gamma < 0)
are moved into the conv weights (AbsorbMulSignIntoConv). A leaky ReLU (any non-decreasing
activation in AbsorbMonotonicIntoMultiThreshold.FORWARD) in front of a signed activation
quantizer moves into its thresholds, so the codes stay signed (out_bias < 0, e.g. INT3).
Per-channel scales that reach a Conv input, a MaxPool with a negative scale, or non-zero
padding stop the streamlining there.
"""

from __future__ import annotations

from collections.abc import Callable

from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.batchnorm_to_affine import BatchNormToAffine
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.transformation.remove import RemoveIdentityOps

from qnnflow.transforms.apply_step import apply_step
from qnnflow.transforms.streamline.absorb_add_into_multithreshold import (
    AbsorbAddIntoMultiThreshold,
)
from qnnflow.transforms.streamline.absorb_monotonic_into_multithreshold import (
    AbsorbMonotonicIntoMultiThreshold,
)
from qnnflow.transforms.streamline.absorb_mul_into_multithreshold import (
    AbsorbMulIntoMultiThreshold,
)
from qnnflow.transforms.streamline.absorb_mul_sign_into_conv import AbsorbMulSignIntoConv
from qnnflow.transforms.streamline.absorb_mul_sign_into_fc import AbsorbMulSignIntoFC
from qnnflow.transforms.streamline.collapse_repeated_mul import CollapseRepeatedMul
from qnnflow.transforms.streamline.factor_mul_out_of_add import FactorMulOutOfAdd
from qnnflow.transforms.streamline.fold_quantized_bias import FoldQuantizedBias
from qnnflow.transforms.streamline.global_mean_to_sum import GlobalMeanToSum
from qnnflow.transforms.streamline.move_add_past_mul import MoveAddPastMul
from qnnflow.transforms.streamline.move_affine_past_concat import MoveAffinePastConcat
from qnnflow.transforms.streamline.move_affine_past_upsample import MoveAffinePastUpsample
from qnnflow.transforms.streamline.move_mul_past_flatten import MoveMulPastFlatten
from qnnflow.transforms.streamline.move_mul_past_global_pool import MoveMulPastGlobalPool
from qnnflow.transforms.streamline.move_mul_past_maxpool import MoveMulPastMaxPool
from qnnflow.transforms.streamline.move_mul_past_pad import MoveMulPastPad
from qnnflow.transforms.streamline.move_scalar_mul_past_conv import MoveScalarMulPastConv
from qnnflow.transforms.streamline.move_scalar_mul_past_fc import MoveScalarMulPastFC
from qnnflow.transforms.streamline.quant_act_to_multithreshold import QuantActToMultiThreshold
from qnnflow.transforms.streamline.quant_weights_to_integer import QuantWeightsToInteger
from qnnflow.transforms.streamline.remove_relu_before_multithreshold import (
    RemoveReluBeforeMultiThreshold,
)
from qnnflow.transforms.streamline.round_thresholds_to_integers import RoundThresholdsToIntegers
from qnnflow.transforms.streamline.split_forked_add import SplitForkedAdd
from qnnflow.transforms.streamline.split_forked_mul import SplitForkedMul

# One sweep, in order; Streamline repeats sweeps until the graph stops changing.
RULES: tuple[type[Transformation], ...] = (
    FoldQuantizedBias,  # Conv/Gemm(x, W, Quant(b)) -> Conv/Gemm(x, W, b_q)
    QuantWeightsToInteger,  # Conv/Gemm/MatMul(Quant(W)) -> Mul(Conv/...(W_int), s)
    QuantActToMultiThreshold,  # Quant(x) -> Mul(MultiThreshold(x), s)
    BatchNormToAffine,  # BatchNorm -> Mul(A) -> Add(B)   (qonnx)
    RemoveReluBeforeMultiThreshold,  # Relu -> MT(T > 0) -> MT
    AbsorbMonotonicIntoMultiThreshold,  # LeakyRelu(a) -> MT(T) -> MT(T >= 0 ? T : T / a)
    MoveAddPastMul,  # Add(b) -> Mul(a) -> Mul(a) -> Add(a b)
    CollapseRepeatedMul,  # Mul(a) -> Mul(b) -> Mul(a b)
    SplitForkedMul,  # Mul(c) -> {A, B} -> Mul(c) -> A, Mul(c) -> B
    SplitForkedAdd,  # Add(b) -> {A, B} -> Add(b) -> A, Add(b) -> B
    FactorMulOutOfAdd,  # Add(Mul(a, c), Mul(b, c)) -> Mul(Add(a, b), c)
    MoveMulPastPad,  # Mul(c) -> Pad(0) -> Pad(0) -> Mul(c)
    MoveMulPastMaxPool,  # Mul(c > 0) -> MaxPool -> MaxPool -> Mul(c)
    MoveAffinePastUpsample,  # Mul/Add(c) -> Resize(nearest) -> Resize -> Mul/Add(c)
    MoveAffinePastConcat,  # Concat(Mul(a, c), Mul(b, d)) -> Mul(Concat(a, b), [c, d])
    MoveMulPastGlobalPool,  # Mul(c) -> GlobalAveragePool -> GlobalAveragePool -> Mul(c)
    GlobalMeanToSum,  # GlobalAveragePool(x int) -> ReduceSum(x) -> Mul(1 / (H W))
    MoveMulPastFlatten,  # Mul(c) -> Reshape/Flatten -> Reshape/Flatten -> Mul(c)
    MoveScalarMulPastConv,  # Mul(c) -> Conv -> Conv -> Mul(c)
    MoveScalarMulPastFC,  # Mul(c) -> Gemm/MatMul -> Gemm/MatMul -> Mul(c)
    AbsorbAddIntoMultiThreshold,  # Add(b) -> MT(T) -> MT(T - b)
    AbsorbMulSignIntoConv,  # Conv(W) -> Mul(a) -> Conv(W sgn a) -> Mul(|a|)
    AbsorbMulSignIntoFC,  # Gemm/MatMul(W) -> Mul(a) -> Gemm/MatMul(W sgn a) -> Mul(|a|)
    AbsorbMulIntoMultiThreshold,  # Mul(c >= 0) -> MT(T) -> MT(T / c)
    RemoveIdentityOps,  # Mul(1), Add(0) -> nothing   (qonnx)
)


class Streamline(Transformation):
    """Run RULES, then datatype inference and threshold rounding, to a fixed point. An
    `observer` sees the model after every step that changed it (verify replays a failing
    streamline with one to name the rewrite that changed the result)."""

    def __init__(
        self,
        input_datatype: str | None = None,
        max_sweeps: int = 50,
        observer: Callable[[str, ModelWrapper], None] | None = None,
    ) -> None:
        super().__init__()
        self.input_datatype = input_datatype
        self.max_sweeps = max_sweeps
        self.observer = observer

    def with_observer(self, observer: Callable[[str, ModelWrapper], None]) -> Streamline:
        """The same streamlining, reporting each step that changed the model to `observer`."""
        return Streamline(self.input_datatype, self.max_sweeps, observer)

    def _step(self, model: ModelWrapper, transform: Transformation, sweep: int) -> ModelWrapper:
        before = model.model.SerializeToString() if self.observer else None
        # the models in between are this apply's own: copied only where an observer may keep
        # the snapshots
        model = apply_step(model, transform, copy=self.observer is not None)
        _name_unnamed_nodes(model)
        if self.observer is not None and model.model.SerializeToString() != before:
            self.observer(f"{type(transform).__name__} (sweep {sweep + 1})", model)
        return model

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        if self.input_datatype is not None:
            for inp in model.graph.input:
                model.set_tensor_datatype(inp.name, DataType[self.input_datatype])
        model = model.transform(InferShapes())
        for sweep in range(self.max_sweeps):
            before = model.model.SerializeToString()
            for rule in RULES:
                model = self._step(model, rule(), sweep)
            for transform in (InferShapes(), InferDataTypes(), RoundThresholdsToIntegers()):
                model = self._step(model, transform, sweep)
            if model.model.SerializeToString() == before:
                break
        return model, False


def _name_unnamed_nodes(model: ModelWrapper) -> None:
    """Give nodes created without a name (qonnx's BatchNormToAffine) a unique one."""
    taken = {n.name for n in model.graph.node}
    for node in model.graph.node:
        if not node.name:
            i = 0
            while f"{node.op_type}_{node.output[0]}_{i}" in taken:
                i += 1
            node.name = f"{node.op_type}_{node.output[0]}_{i}"
            taken.add(node.name)


__all__ = [
    "RULES",
    "AbsorbAddIntoMultiThreshold",
    "AbsorbMonotonicIntoMultiThreshold",
    "AbsorbMulIntoMultiThreshold",
    "AbsorbMulSignIntoConv",
    "AbsorbMulSignIntoFC",
    "CollapseRepeatedMul",
    "FactorMulOutOfAdd",
    "FoldQuantizedBias",
    "GlobalMeanToSum",
    "MoveAddPastMul",
    "MoveAffinePastConcat",
    "MoveAffinePastUpsample",
    "MoveMulPastFlatten",
    "MoveMulPastGlobalPool",
    "MoveMulPastMaxPool",
    "MoveMulPastPad",
    "MoveScalarMulPastConv",
    "MoveScalarMulPastFC",
    "QuantActToMultiThreshold",
    "QuantWeightsToInteger",
    "RemoveReluBeforeMultiThreshold",
    "RoundThresholdsToIntegers",
    "SplitForkedAdd",
    "SplitForkedMul",
    "Streamline",
]
