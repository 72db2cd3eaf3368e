"""How a MatrixVectorUnit multiplies (its resType): LUT multipliers, or DSP48E1 slices of
the 7-series (a 25 x 18 signed multiplier, 48-bit P), one or, packed, two products each.

Operand widths are two's-complement widths (an unsigned b-bit value needs b + 1 bits).

DSP packing: two lanes' products share the activation x, so one multiply computes
(w_hi * 2^S + w_lo) * x = w_lo * x + (w_hi * x) * 2^S, and a chain of SIMD such products
accumulates both SIMD-long sums as two fields of P. With p = wbits + abits (a product's
width) and g = ceil(log2(SIMD)) guard bits for the SIMD-long sum, the low field needs
S = p + g bits. It fits when the packed weight (S + wbits + 1 bits: the shifted w_hi plus
a signed w_lo) fits the 25-bit A port (through the pre-adder), x fits the 18-bit B port
and both fields fit the 48-bit P (2S <= 48). The fields are read back exactly: low =
sign-extended P[S-1:0], high = (P - low) >> S (the low field's borrow undone).
"""

from __future__ import annotations

import math

from qonnx.core.datatype import DataType

from qnnflow.ops.bipolar import is_bipolar

DSP_A_BITS, DSP_B_BITS, DSP_P_BITS = 25, 18, 48  # DSP48E1: 25 x 18 multiplier, 48-bit P
RES_TYPES = ("auto", "lut", "dsp")
AUTO_DSP_ABOVE_BITS = 4  # auto: a DSP when both operands exceed this many bits


def signed_bits(dtype: DataType) -> int:
    """Bits of the two's-complement value that holds every value of `dtype`."""
    return dtype.bitwidth() + (0 if dtype.signed() else 1)


def dsp_problem(wdt: DataType, idt: DataType) -> str | None:
    """Why the multiply cannot go on a DSP48E1 (no multiplier, operands too wide), or None."""
    if is_bipolar(wdt):
        return "bipolar weights have no multiplier (a conditional negate), so no DSP"
    w, a = signed_bits(wdt), signed_bits(idt)
    if max(w, a) > DSP_A_BITS or min(w, a) > DSP_B_BITS:
        return (
            f"{w}-bit weights x {a}-bit inputs exceed the DSP48E1's "
            f"{DSP_A_BITS} x {DSP_B_BITS} multiplier"
        )
    return None


def multiplier_style(res_type: str, wdt: DataType, idt: DataType) -> str:
    """'none' (bipolar weights: select/negate), 'lut' or 'dsp'; auto is the rule of old:
    a DSP when both operands exceed AUTO_DSP_ABOVE_BITS bits."""
    if is_bipolar(wdt):
        return "none"
    if res_type == "auto":
        wide = min(wdt.bitwidth(), idt.bitwidth()) > AUTO_DSP_ABOVE_BITS
        return "dsp" if wide and dsp_problem(wdt, idt) is None else "lut"
    return res_type


def dsp_pack_shift(wdt: DataType, idt: DataType, simd: int) -> int:
    """S, the low field's width, when two products sharing x fit one DSP48E1; else 0."""
    if dsp_problem(wdt, idt) is not None:
        return 0
    w, a = signed_bits(wdt), signed_bits(idt)
    shift = w + a + math.ceil(math.log2(simd))
    fits = shift + w + 1 <= DSP_A_BITS and a <= DSP_B_BITS and 2 * shift <= DSP_P_BITS
    return shift if fits else 0


def multiply_add_cost(
    style: str, pe: int, simd: int, lut_bits: int, acc: int, shift: int = 0
) -> tuple[float, float]:
    """(LUT, DSP) of the PE lanes' SIMD multipliers and the adder trees summing them.

    none/lut: PE*SIMD*(lut_bits + acc): a LUT multiplier costs lut_bits (wbits*abits, or
    abits for a bipolar negate) per product, a fabric adder tree acc per product. dsp: one
    DSP per product, the adder tree still in fabric (Vitis HLS may absorb adds into the
    post-adders; the estimate does not count on it). dsp packed (shift S > 0): lanes pair
    up (an odd PE leaves one lane unpacked), SIMD*ceil(PE/2) DSPs; each pair's tree adds
    2S-bit packed words and splits the fields (2S LUTs per product plus 2S per pair).
    """
    if style != "dsp":
        return float(pe * simd * (lut_bits + acc)), 0.0
    if shift == 0:
        return float(pe * simd * acc), float(pe * simd)
    pairs, single = pe // 2, pe % 2
    lut = pairs * (simd + 1) * 2 * shift + single * simd * acc
    return float(lut), float((pairs + single) * simd)
