"""Quantization schemes for quantization-aware training, as Brevitas quantizers.

`w1a3` mirrors the post-training scheme of `qnnflow.quant.w1a3` so that QAT and PTQ models
run through the same compiler path: hidden convs get binary weights with Darknet's per-filter
scale mean|w|, every ReLU except the head's feeds a 3-bit unsigned quantizer, the image is an
8-bit input (scale 1/255) and the first and last convs get 8-bit per-filter weights (or stay
float). `float` adds no quantizer: it trains the float baseline that the Darknet
cfg+weights hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from brevitas.core.quant import BinaryQuant
from brevitas.inject.enum import (
    FloatToIntImplType,
    RestrictValueType,
    ScalingImplType,
    ScalingPerOutputType,
    StatsOp,
)
from brevitas.quant import Uint8ActPerTensorFloatMaxInit
from brevitas.quant.solver import WeightQuantSolver

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet.layers import (
    ConvLayer,
    DarknetNetwork,
    MaxPoolLayer,
    RegionLayer,
    RouteLayer,
    UpsampleLayer,
)

SCHEMES = ("float", "w1a3")
W1A3_LAYERS = (ConvLayer, MaxPoolLayer, RouteLayer, UpsampleLayer, RegionLayer)


class BinaryWeightPerFilterMeanAbs(WeightQuantSolver):
    """w -> sign(w) * mean|w| per output filter (XNOR-Net / Darknet binary=1), with a
    straight-through sign; the scale is recomputed from the latent weights at every step."""

    tensor_quant = BinaryQuant
    scaling_impl_type = ScalingImplType.STATS
    scaling_stats_op = StatsOp.AVE
    scaling_per_output_type = ScalingPerOutputType.CHANNEL
    restrict_scaling_type = RestrictValueType.FP
    float_to_int_impl_type = FloatToIntImplType.ROUND
    bit_width = 1
    signed = True
    narrow_range = True


class UnsignedActLearnedScale(Uint8ActPerTensorFloatMaxInit):
    """Unsigned activation with a learned per-tensor clip (`max_val` is its start value)."""


class ImageInput8bit(Uint8ActPerTensorFloatMaxInit):
    """The image in [0, 1] on 8 bits with the fixed scale 1/255, as the PTQ scheme feeds it."""

    scaling_impl_type = ScalingImplType.CONST
    scaling_const = 1.0
    max_val = 1.0


@dataclass(frozen=True)
class QatScheme:
    """What to quantize: `name` is 'float' or 'w1a3'; `first_last_bits` None keeps the first
    and last conv float; `act_bits` is the hidden activation width."""

    name: str = "w1a3"
    act_bits: int = 3
    first_last_bits: int | None = 8

    def __post_init__(self) -> None:
        if self.name not in SCHEMES:
            raise QnnflowError(f"unknown QAT scheme '{self.name}' (choose from {SCHEMES})")
        if not 1 <= self.act_bits <= 8:
            raise QnnflowError(f"activation bits must be 1..8, got {self.act_bits}")
        if self.first_last_bits is not None and not 2 <= self.first_last_bits <= 8:
            raise QnnflowError(f"first/last bits must be 2..8 or float, got {self.first_last_bits}")

    @property
    def quantized(self) -> bool:
        return self.name != "float"


def check_network(network: DarknetNetwork, scheme: QatScheme) -> None:
    """Refuse, with the cfg line, what the scheme cannot represent (same rules as the PTQ
    scheme: unsigned 3-bit grids only hold ReLU outputs)."""
    convs = network.conv_layers
    if not scheme.quantized:
        return
    if len(convs) < 3:
        raise QnnflowError(
            f"{network.path}: {scheme.name} needs a first conv, hidden convs and a last conv "
            f"(the cfg has {len(convs)} convs)"
        )
    for layer in network.layers:
        if not isinstance(layer, W1A3_LAYERS):
            raise QnnflowError(
                f"{network.path}:{layer.line}: {layer.describe()} is not supported by the "
                f"{scheme.name} scheme"
            )
    for layer in convs[:-1]:
        if layer.activation != "relu":
            raise QnnflowError(
                f"{network.path}:{layer.line}: {layer.describe()} uses "
                f"activation={layer.activation}; {scheme.name} quantizes activations to an "
                f"unsigned {scheme.act_bits}-bit grid, which only ReLU fits "
                "(train with activation=relu, as Tinier-YOLO does)"
            )
