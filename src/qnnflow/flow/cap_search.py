"""The search the fold step runs when the width converters and FIFOs inserted after AutoFold
push a resource over the board's cap: AutoFold budgets the compute layers only, so it is
asked again, for less, until the whole design fits.

First one scale of the compute caps of every overflowing resource, bisected (fast, and what
most networks need). When no scale fits, because lowering one resource's cap raises another's
plumbing (a frame-buffered window banked for narrower input words costs block RAM where a
wider folding cost LUTs), AutoFold is asked for the cheapest folding at a ladder of target
rates below the one that overflowed (cheapest-for-a-rate avoids the plumbing that
fastest-within-caps runs into), and, when none of those fits either, each overflowing
resource gets its own cap scale on a grid. The fastest design that fits wins."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
P = TypeVar("P")
GRID_SCALES = (0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5)
TARGET_STEPS = (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5)  # x the overflowing rate
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


def fastest_of(
    try_point: Callable[[P], T | None], points: list[P], fps: Callable[[T], float]
) -> T | None:
    """The fastest design `try_point` accepts over `points`; on a tie the first. None when
    none fits."""
    best, best_fps = None, float("-inf")
    for point in points:
        found = try_point(point)
        rate = float("-inf") if found is None else fps(found)  # one estimate per design
        if rate > best_fps:
            best, best_fps = found, rate
    return best


def target_ladder(overflowing_fps: float) -> list[float]:
    """The target rates to ask AutoFold for: TARGET_STEPS of the rate that overflowed."""
    return [overflowing_fps * step for step in TARGET_STEPS]


def fastest_on_grid(
    try_scales: Callable[[dict[str, float]], T | None],
    resources: list[str],
    fps: Callable[[T], float],
) -> T | None:
    """The fastest design `try_scales` accepts over grid_points(resources); on a tie the
    first in grid order (the larger caps). None when none fits."""
    return fastest_of(try_scales, grid_points(sorted(resources)), fps)
