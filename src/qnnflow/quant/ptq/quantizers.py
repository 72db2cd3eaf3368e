"""PTQ options -> Brevitas quantizer injectors (weights, activations, biases).

One function per tensor kind, so every layer (global or per-name rule) gets its quantizer from
the same place. Bits >= 2 are integer quantizers; 1 bit is binary (sign times a scale), which
Brevitas exports as QONNX BipolarQuant, the compiler's 1-bit input.
"""

from __future__ import annotations

from brevitas.core.function_wrapper import TensorClamp
from brevitas.core.quant import ClampedBinaryQuant
from brevitas.core.stats import NegativeMinOrZero
from brevitas.inject.enum import ScalingImplType, StatsOp
from brevitas.quant.fixed_point import (
    Int8ActPerTensorFixedPoint,
    Int8ActPerTensorFixedPointMSE,
    Int8WeightPerChannelFixedPoint,
    Int8WeightPerChannelFixedPointMSE,
    Int8WeightPerTensorFixedPoint,
    Int8WeightPerTensorFixedPointMSE,
    Uint8ActPerTensorFixedPoint,
    Uint8ActPerTensorFixedPointMSE,
)
from brevitas.quant.scaled_int import (
    Int8ActPerTensorFloat,
    Int8ActPerTensorFloatMSE,
    Int8WeightPerChannelFloat,
    Int8WeightPerChannelFloatMSE,
    Int8WeightPerTensorFloat,
    Int8WeightPerTensorFloatMSE,
    Int16Bias,
    Int32Bias,
    Uint8ActPerTensorFloat,
    Uint8ActPerTensorFloatMSE,
)
from brevitas.quant.shifted_scaled_int import (
    ShiftedUint8ActPerTensorFixedPoint,
    ShiftedUint8ActPerTensorFixedPointMSE,
    ShiftedUint8ActPerTensorFloat,
    ShiftedUint8ActPerTensorFloatMSE,
)

from qnnflow.quant.ptq.options import PTQOptions

# (granularity, scale, mse) -> 8-bit weight quantizer; the bit width is set with .let()
_WEIGHT = {
    ("tensor", "float", False): Int8WeightPerTensorFloat,
    ("tensor", "float", True): Int8WeightPerTensorFloatMSE,
    ("channel", "float", False): Int8WeightPerChannelFloat,
    ("channel", "float", True): Int8WeightPerChannelFloatMSE,
    ("tensor", "po2", False): Int8WeightPerTensorFixedPoint,
    ("tensor", "po2", True): Int8WeightPerTensorFixedPointMSE,
    ("channel", "po2", False): Int8WeightPerChannelFixedPoint,
    ("channel", "po2", True): Int8WeightPerChannelFixedPointMSE,
}
# (kind, scale, mse) -> 8-bit activation quantizer; kind: signed | unsigned | shifted
_ACT = {
    ("signed", "float", False): Int8ActPerTensorFloat,
    ("signed", "float", True): Int8ActPerTensorFloatMSE,
    ("unsigned", "float", False): Uint8ActPerTensorFloat,
    ("unsigned", "float", True): Uint8ActPerTensorFloatMSE,
    ("shifted", "float", False): ShiftedUint8ActPerTensorFloat,
    ("shifted", "float", True): ShiftedUint8ActPerTensorFloatMSE,
    ("signed", "po2", False): Int8ActPerTensorFixedPoint,
    ("signed", "po2", True): Int8ActPerTensorFixedPointMSE,
    ("unsigned", "po2", False): Uint8ActPerTensorFixedPoint,
    ("unsigned", "po2", True): Uint8ActPerTensorFixedPointMSE,
    ("shifted", "po2", False): ShiftedUint8ActPerTensorFixedPoint,
    ("shifted", "po2", True): ShiftedUint8ActPerTensorFixedPointMSE,
}
# every calibration batch counts; Brevitas averages the per-batch statistic over them
_COLLECT_STEPS = 1_000_000


def weight_quantizer(options: PTQOptions, bits: int):
    """Weight quantizer: narrow symmetric int (max|w| or MSE scale), or binary at 1 bit."""
    base = _WEIGHT[(options.weight_granularity, options.scale, options.calib_method == "mse")]
    if bits == 1:
        # sign(w) * mean|w| (per channel or tensor): the L2-optimal binary scale
        return base.let(
            tensor_quant=ClampedBinaryQuant,
            tensor_clamp_impl=TensorClamp,
            scaling_stats_op=StatsOp.AVE,
            scaling_impl_type=ScalingImplType.STATS,
            bit_width=1,
        )
    # a scale fixed from the weights' statistics at the first forward (not recomputed on every
    # forward): GPTQ/GPFQ/learned rounding/finetuning move the weights and must not move it
    return base.let(bit_width=bits, scaling_impl_type=ScalingImplType.PARAMETER_FROM_STATS)


def act_quantizer(options: PTQOptions, bits: int, signed: bool):
    """Activation quantizer calibrated from runtime statistics (the options' method)."""
    if bits == 1:
        # sign(x) * s, s = the mean |x| seen in calibration (bipolar)
        return Int8ActPerTensorFloat.let(
            tensor_quant=ClampedBinaryQuant,
            tensor_clamp_impl=TensorClamp,
            scaling_stats_op=StatsOp.AVE,
            collect_stats_steps=_COLLECT_STEPS,
            bit_width=1,
        )
    kind = "shifted" if not options.act_symmetric else ("signed" if signed else "unsigned")
    method = options.calib_method
    quant = _ACT[(kind, options.scale, method == "mse")].let(
        bit_width=bits, collect_stats_steps=_COLLECT_STEPS
    )
    if method == "percentile":
        extra = {"high_percentile_q": options.percentile}
        if kind == "shifted":
            extra["low_percentile_q"] = 100.0 - options.percentile
        return quant.let(**extra)
    if method in ("minmax", "entropy"):  # entropy starts from max and is searched afterwards
        op = StatsOp.MIN_MAX if kind == "shifted" else StatsOp.MAX
        if kind == "shifted":
            return quant.let(scaling_stats_op=op, zero_point_stats_impl=NegativeMinOrZero)
        return quant.let(scaling_stats_op=op)
    return quant


def bias_quantizer(options: PTQOptions):
    """Bias quantizer at the accumulator's scale (input scale x weight scale), or None = float."""
    return {16: Int16Bias, 32: Int32Bias, None: None}[options.bias_bits]
