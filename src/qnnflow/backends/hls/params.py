"""Weights and thresholds in the layouts the HLS kernels read: C++ header arrays for on-chip
memories and the DDR weight image that the host driver writes for mem_mode stream_ddr.

Weight codes. A weight of kernel width 1 is bipolar (+1 -> bit 1, -1 -> bit 0); wider
weights are two's complement. Unsigned weight types (UINTn, BINARY) get one more bit and are
stored signed, so the kernel has one datapath; signed ones keep their width (at least 2).

Words. Word (lane, fold, sf) of a MatrixVectorUnit holds the SIMD weight codes of output
channel fold*PE + lane and inputs sf*SIMD .. sf*SIMD + SIMD-1, element s in bits
[s*wbits, (s+1)*wbits), exactly as `qnnflow.packing` packs a pixel. Headers store each word
as little-endian limbs of a plain C integer type (g++ compiles big tables of ap_uint objects
extremely slowly): `weights[PE][(MH/PE)*(MW/SIMD)][LIMBS]`, index fold*(MW/SIMD) + sf.

Thresholds. `thresholds[PE][MH/PE][T]`, channel fold*PE + lane. `acc >= t` on integers equals
`acc >= ceil(t)`, and a threshold outside the accumulator's range [-2^(A-1), 2^(A-1)-1] acts
like one just outside it, so thresholds are rounded up and clipped to [-2^(A-1), 2^(A-1)],
which A+1 signed bits hold; the results are unchanged.

DDR image (stream_ddr; what the host driver puts in DDR, read once per frame). For output
group g = 0 .. MH/PE-1, then input fold sf = 0 .. MW/SIMD-1: one slice word of PE*SIMD codes,
lane-major (lane p's SIMD codes at elements [p*SIMD, (p+1)*SIMD)), packed like a pixel and
zero-padded to whole 64-bit DDR words, little-endian. Size: (MH/PE)*(MW/SIMD)*ceil(PE*SIMD*
wbits/64)*8 bytes, which is MW*MH*wbits/8 when PE*SIMD*wbits is a multiple of 64.
"""

from __future__ import annotations

import math

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import c_identifier
from qnnflow.errors import QnnflowError
from qnnflow.packing import bipolar_bits, pack

DDR_WORD_BITS = 64  # the kernels' AXI-MM data width (hls/qnnflow/ddr_weights.hpp)
LIMB_TYPES = ((8, "uint8_t"), (16, "uint16_t"), (32, "uint32_t"), (64, "uint64_t"))


def kernel_weight_bits(dtype: DataType) -> int:
    """Bits of one weight code in the kernel (1 only for BIPOLAR)."""
    if dtype == DataType["BIPOLAR"]:
        return 1
    if not dtype.is_integer():
        raise QnnflowError(f"weights of type {dtype.name}: the kernels take integer weights")
    return max(2, dtype.bitwidth() + (0 if dtype.signed() else 1))


def weight_codes(weights: np.ndarray, dtype: DataType, what: str) -> np.ndarray:
    """Integer weights -> their unsigned codes (bipolar bit, or the low bits of two's
    complement); refuses values that are not integers of `dtype`."""
    w = np.asarray(weights, dtype=np.float64)
    if dtype == DataType["BIPOLAR"]:
        if not np.all(np.abs(w) == 1):
            raise QnnflowError(f"{what}: BIPOLAR weights must all be -1 or +1")
        return bipolar_bits(w)
    low, high = dtype.min(), dtype.max()
    if not np.all(np.round(w) == w) or w.min(initial=low) < low or w.max(initial=high) > high:
        raise QnnflowError(
            f"{what}: weights in [{w.min()}, {w.max()}] are not all integers of {dtype.name}"
        )
    bits = kernel_weight_bits(dtype)
    return w.astype(np.int64) & ((1 << bits) - 1)


def limb_type(word_bits: int) -> tuple[int, str]:
    """The plain C type of one limb: the smallest that holds the word, else 64-bit limbs."""
    for bits, name in LIMB_TYPES:
        if word_bits <= bits:
            return bits, name
    return LIMB_TYPES[-1]


def pack_limbs(codes: np.ndarray, bits: int, limb_bits: int) -> np.ndarray:
    """[..., N] codes -> [..., limbs] little-endian limbs of `limb_bits` (one word each)."""
    data = pack(codes, bits, align_bits=limb_bits)
    return np.ascontiguousarray(data).view(f"<u{limb_bits // 8}").astype(np.uint64)


def folded_weight_limbs(codes: np.ndarray, pe: int, simd: int, bits: int) -> np.ndarray:
    """[MW, MH] codes -> [PE, (MH/PE)*(MW/SIMD), LIMBS] limbs of the on-chip weight words."""
    mw, mh = codes.shape
    folded = codes.reshape(mw // simd, simd, mh // pe, pe).transpose(3, 2, 0, 1)
    words = folded.reshape(pe, (mh // pe) * (mw // simd), simd)
    return pack_limbs(words, bits, limb_type(simd * bits)[0])


def weight_slices(codes: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """[MW, MH] codes -> [MH/PE, MW/SIMD, PE*SIMD]: slice word (fold, sf) holds the PE
    lanes' SIMD codes side by side, lane-major (the DDR image's and the RTL ROM's words)."""
    mw, mh = codes.shape
    slices = codes.reshape(mw // simd, simd, mh // pe, pe).transpose(2, 0, 3, 1)
    return slices.reshape(mh // pe, mw // simd, pe * simd)


def ddr_image(codes: np.ndarray, pe: int, simd: int, bits: int) -> np.ndarray:
    """[MW, MH] codes -> the stream_ddr image as uint8 bytes (layout in the module doc)."""
    words = weight_slices(codes, pe, simd)
    return pack(words, bits, align_bits=DDR_WORD_BITS).reshape(-1)


def threshold_store(acc_bits: int) -> str:
    """The plain C type that holds thresholds of acc_bits + 1 significant bits."""
    return "int32_t" if acc_bits + 1 <= 32 else "int64_t"


def folded_thresholds(thresholds: np.ndarray, channels: int, pe: int, value_bits: int):
    """[C or 1, T] thresholds -> [PE, C/PE, T] int64, rounded up and clipped to what
    `value_bits`-bit signed values can reach (+1), which keeps every comparison's result."""
    t = np.asarray(thresholds, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] not in (1, channels):
        raise QnnflowError(f"thresholds of shape {t.shape}: expected [{channels}, T] or [1, T]")
    if np.isnan(t).any():
        raise QnnflowError("thresholds contain NaN")
    t = np.broadcast_to(t, (channels, t.shape[1]))
    low, high = -(1 << (value_bits - 1)), 1 << (value_bits - 1)
    t = np.clip(np.ceil(t), low, high).astype(np.int64)
    return t.reshape(channels // pe, pe, -1).transpose(1, 0, 2)


def c_array(name: str, ctype: str, values: np.ndarray, static: bool = True) -> str:
    """A C++ constant array definition with nested braces, at most eight values a line."""
    values = np.asarray(values)
    unsigned = ctype.startswith("uint")
    suffix = {"uint64_t": "ull", "int64_t": "ll"}.get(ctype, "u" if unsigned else "")

    def literal(v) -> str:
        return f"0x{int(v):x}{suffix}" if unsigned else f"{int(v)}{suffix}"

    def nested(a: np.ndarray, depth: int) -> str:
        sep = ",\n" + " " * (depth + 1)
        if a.ndim == 1:  # eight values to a line keeps big tables readable
            rows = [", ".join(literal(v) for v in a[i : i + 8]) for i in range(0, a.size, 8)]
            return "{" + sep.join(rows) + "}"
        return "{" + sep.join(nested(sub, depth + 1) for sub in a) + "}"

    dims = "".join(f"[{d}]" for d in values.shape)
    prefix = "static const" if static else "const"
    return f"{prefix} {ctype} {name}{dims} = {nested(values, 0)};\n"


def header(title: str, body: list[str]) -> str:
    """A generated parameter header: a title comment, the fixed-width types, the arrays."""
    lines = [f"// Generated by qnnflow: {title}. Do not edit; re-run the build.", "#pragma once"]
    lines += ["", "#include <cstdint>", "", '#include "qnnflow/compat.hpp"', ""]
    return "\n".join(lines) + "\n" + "\n".join(body)


def ddr_sim_array(symbol: str, image: np.ndarray) -> str:
    """The DDR image as 64-bit words for the C++ simulation only (never synthesised): a plain
    table (fast to compile) copied once into the ap_uint words the kernel's pointer reads."""
    words = np.asarray(image, dtype=np.uint8).view("<u8")
    raw = c_array(f"{symbol}_raw", "uint64_t", words)
    return (
        "#ifndef __SYNTHESIS__\n#include <vector>\n\n"
        + raw
        + f"static const std::vector<ap_uint<{DDR_WORD_BITS}>> {symbol}({symbol}_raw, "
        f"{symbol}_raw + {words.size});\n#endif\n"
    )


def weight_port_name(node) -> str:
    """The m_axi argument of a stream_ddr MatrixVectorUnit (unique per layer)."""
    return f"{c_identifier(node.name)}_wddr"


def mvu_weight_codes(model: ModelWrapper, node) -> tuple[np.ndarray, int]:
    """The node's weight initializer as codes [MW, MH] and the kernel's bits per code."""
    op = getCustomOp(node)
    weights = model.get_initializer(node.input[1])
    mw, mh = op.get_nodeattr("MW"), op.get_nodeattr("MH")
    if weights is None or tuple(weights.shape) != (mw, mh):
        shape = None if weights is None else tuple(weights.shape)
        raise QnnflowError(
            f"{node.op_type} '{node.name}': weights must be an initializer of shape "
            f"({mw}, {mh}), got {shape}"
        )
    dtype = op.weight_dtype()
    return weight_codes(weights, dtype, f"'{node.name}'"), kernel_weight_bits(dtype)


def ddr_weight_images(model: ModelWrapper, node) -> dict[str, np.ndarray]:
    """{m_axi port name: DDR image bytes} of a stream_ddr MatrixVectorUnit (the driver's
    weight hook); {} for any other node."""
    op = getCustomOp(node)
    if op.ddr_bytes_per_frame() == 0:  # weights on chip (or none)
        return {}
    op.check_folding()
    codes, bits = mvu_weight_codes(model, node)
    image = ddr_image(codes, op.get_nodeattr("PE"), op.get_nodeattr("SIMD"), bits)
    return {weight_port_name(node): image}


def ddr_words_per_slice_word(pe: int, simd: int, bits: int) -> int:
    """64-bit DDR words the reader fetches for each PE*SIMD-code slice word."""
    return math.ceil(pe * simd * bits / DDR_WORD_BITS)
