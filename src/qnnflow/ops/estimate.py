"""Shared resource formulas (7-series): block RAM packing and LUT-RAM sizing.

A BRAM36 holds 36 Kbit in one of the aspect ratios below; a memory of `depth` words of
`width` bits uses the cheapest ratio, each tile covering min(depth, d) x min(width, w).
A LUT used as distributed RAM (SLICEM, RAM64X1S) stores 64 bits.
"""

from __future__ import annotations

import math

BRAM36_SHAPES = ((32768, 1), (16384, 2), (8192, 4), (4096, 9), (2048, 18), (1024, 36), (512, 72))
BRAM18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
LUTRAM_BITS_PER_LUT = 64


def bram36_for(depth: int, width: int) -> int:
    """Fewest BRAM36 tiles that hold `depth` x `width` bits (0 for an empty memory)."""
    if depth <= 0 or width <= 0:
        return 0
    return min(math.ceil(depth / d) * math.ceil(width / w) for d, w in BRAM36_SHAPES)


def bram18_for(depth: int, width: int) -> int:
    """Fewest RAMB18 halves (two per BRAM36 tile) that hold `depth` x `width` bits: the unit
    a small memory takes, e.g. each bank of a banked buffer."""
    if depth <= 0 or width <= 0:
        return 0
    return min(math.ceil(depth / d) * math.ceil(width / w) for d, w in BRAM18_SHAPES)


def lutram_for(depth: int, width: int) -> int:
    """LUTs to hold `depth` x `width` bits as distributed RAM (64-deep columns)."""
    if depth <= 0 or width <= 0:
        return 0
    return math.ceil(depth / LUTRAM_BITS_PER_LUT) * width


def zero_resources() -> dict[str, float]:
    return {"LUT": 0.0, "FF": 0.0, "BRAM36": 0.0, "LUTRAM": 0.0, "DSP": 0.0}
