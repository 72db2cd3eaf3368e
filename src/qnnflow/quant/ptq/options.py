"""What a PTQ run quantizes and how: the scheme, granularity, scales, statistics, per-layer rules.

Torch-free, so the CLI can parse and validate options before importing Brevitas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.mixed import LayerRule

CALIB_METHODS = ("minmax", "percentile", "entropy", "mse")
_SCHEME = re.compile(r"w(\d+)a(\d+)")


def check_bits(bits: int, what: str) -> int:
    """Bits must be an integer in 1..8 (what the quantizers and the compiler support)."""
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 8:
        raise QnnflowError(f"{what} must be an integer in 1..8, got {bits!r}")
    return bits


def parse_scheme(text: str) -> tuple[int, int]:
    """'int8' -> (8, 8); 'wNaM' -> (N, M), the weight and activation bits."""
    name = text.strip().lower()
    if name == "int8":
        return 8, 8
    match = _SCHEME.fullmatch(name)
    if not match:
        raise QnnflowError(f"unknown scheme '{text}' (use int8 or wNaM, e.g. w4a4, w1a3)")
    weight_bits, act_bits = int(match.group(1)), int(match.group(2))
    return check_bits(weight_bits, f"scheme '{text}': weight bits"), check_bits(
        act_bits, f"scheme '{text}': activation bits"
    )


def _choice(value: object, allowed: tuple, what: str) -> None:
    if value not in allowed:
        shown = ", ".join("float" if a is None else str(a) for a in allowed)
        raise QnnflowError(f"{what} '{value}' is not one of: {shown}")


@dataclass(frozen=True)
class PTQOptions:
    """Global quantization settings; `rules` override bits (or keep float) per layer name/glob."""

    weight_bits: int = 8
    act_bits: int = 8
    weight_granularity: str = "channel"  # tensor | channel
    scale: str = "float"  # float | po2 (power-of-two scales, fixed point)
    act_sign: str = "auto"  # auto (unsigned after ReLU) | signed | unsigned
    act_symmetric: bool = True  # False: unsigned codes with a zero point
    bias_bits: int | None = 32  # 16 | 32 | None (float bias)
    calib_method: str = "minmax"  # minmax | percentile | entropy | mse
    percentile: float = 99.99
    rules: tuple[LayerRule, ...] = ()
    input_bits: int = 8  # the network input (an image), whatever the scheme
    output_bits: int | None = 8  # the network output; None: float (no final requantizer)

    def __post_init__(self) -> None:
        check_bits(self.weight_bits, "weight bits")
        check_bits(self.act_bits, "activation bits")
        check_bits(self.input_bits, "input bits")
        if self.output_bits is not None:
            check_bits(self.output_bits, "output bits")
        _choice(self.weight_granularity, ("tensor", "channel"), "weight granularity")
        _choice(self.scale, ("float", "po2"), "scale")
        _choice(self.act_sign, ("auto", "signed", "unsigned"), "activation sign")
        _choice(self.bias_bits, (16, 32, None), "bias bits")
        _choice(self.calib_method, CALIB_METHODS, "calibration method")
        if not 0.0 < self.percentile <= 100.0:
            raise QnnflowError(f"percentile must be in (0, 100], got {self.percentile}")
        if self.calib_method == "entropy" and not self.act_symmetric:
            raise QnnflowError(
                "entropy calibration searches a symmetric clip; use it with symmetric activations"
            )
