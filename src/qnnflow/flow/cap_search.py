"""The search over compute caps that the fold step runs when the width converters and FIFOs
inserted after AutoFold push a resource over the board's cap: AutoFold budgets the compute
layers only, so their caps are lowered until the whole design fits.

First one scale for every overflowing resource, bisected (fast, and what most networks
need); when no scale fits, because lowering one resource's cap raises another's plumbing
(a frame-buffered window banked for narrower input words costs block RAM where a wider
folding cost LUTs), each overflowing resource gets its own scale on a grid and the fastest
design that fits wins."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
GRID_SCALES = (0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5)
MAX_GRID_POINTS = 64  # foldings tried by the grid at most (each ~0.2 s on a Tiny-YOLO)


def bisect_scale(try_scale: Callable[[float], T | None], rounds: int) -> T | None:
    """The design at the largest scale in (0.5, 1) that `try_scale` accepts (None: refused),
    bisected `rounds` times; None when every scale tried was refused."""
    best, low, high = None, 0.5, 1.0
    for _ in range(rounds):
        scale = (low + high) / 2
        found = try_scale(scale)
        if found is None:
            high = scale
        else:
            best, low = found, scale
    return best


def grid_points(resources: list[str]) -> list[dict[str, float]]:
    """One scale per resource, every combination of GRID_SCALES (thinned so that there are
    at most MAX_GRID_POINTS), the largest scales first."""
    if not resources:
        return []
    per_axis = len(GRID_SCALES)
    while per_axis > 2 and per_axis ** len(resources) > MAX_GRID_POINTS:
        per_axis -= 1
    step = (len(GRID_SCALES) - 1) / (per_axis - 1)
    levels = [GRID_SCALES[round(i * step)] for i in range(per_axis)]
    return [
        dict(zip(resources, combo, strict=True))
        for combo in itertools.product(levels, repeat=len(resources))
    ]


def fastest_on_grid(
    try_scales: Callable[[dict[str, float]], T | None],
    resources: list[str],
    fps: Callable[[T], float],
) -> T | None:
    """The fastest design `try_scales` accepts over grid_points(resources); on a tie the
    first in grid order (the larger caps). None when none fits."""
    best, best_fps = None, float("-inf")
    for scales in grid_points(sorted(resources)):
        found = try_scales(scales)
        if found is not None and fps(found) > best_fps:
            best, best_fps = found, fps(found)
    return best
