"""The fold step's search when the plumbing overflows a cap (flow/cap_search.py): the
bisection of one cap scale, the ladder of lower target rates and the per-resource grid it
falls back to when no single scale fits."""

from __future__ import annotations

import pytest

from qnnflow.flow.cap_search import (
    GRID_SCALES,
    MAX_GRID_POINTS,
    TARGET_STEPS,
    bisect_scale,
    fastest_of,
    fastest_on_grid,
    grid_points,
    target_ladder,
)


def test_bisect_finds_the_largest_accepted_scale():
    tried = []

    def accept_below(scale: float) -> float | None:
        tried.append(scale)
        return scale if scale <= 0.7 else None

    found = bisect_scale(accept_below, rounds=5)
    assert tried[0] == 0.75 and len(tried) == 5
    assert found == max(s for s in tried if s <= 0.7)
    assert 0.7 - found < 0.5 / 2**5


def test_bisect_returns_none_when_every_scale_is_refused():
    assert bisect_scale(lambda s: None, rounds=4) is None


def test_bisect_keeps_the_last_accepted_design_not_the_last_tried():
    found = bisect_scale(lambda s: f"design at {s}" if s < 0.8 else None, rounds=3)
    assert found == "design at 0.75"  # then 0.875 and 0.8125 are refused


@pytest.mark.parametrize(
    ("resources", "points", "levels"),
    [
        (["LUT"], 8, GRID_SCALES),
        (["BRAM36", "LUT"], 64, GRID_SCALES),
        (["BRAM36", "DSP", "LUT"], 64, (0.95, 0.85, 0.7, 0.5)),
        (["BRAM36", "DSP", "FF", "LUT", "LUTRAM"], 32, (0.95, 0.5)),
    ],
)
def test_grid_points_cover_every_combination_within_the_budget(resources, points, levels):
    grid = grid_points(resources)
    assert len(grid) == points <= MAX_GRID_POINTS
    assert len({tuple(sorted(p.items())) for p in grid}) == points
    for name in resources:
        assert sorted({p[name] for p in grid}, reverse=True) == list(levels)
    assert grid[0] == dict.fromkeys(resources, 0.95)  # the largest caps first
    assert grid[-1] == dict.fromkeys(resources, 0.5)


def test_grid_of_nothing_is_empty():
    assert grid_points([]) == []


# A landscape measured on Darknet's yolov2-tiny.cfg at 416x416 (random weights, W1A3):
# lowering both caps together never fits (the LUT and the block RAM of the plumbing trade
# against each other), lowering them separately does. Value: fps, or None (over a cap).
YOLOV2_TINY = {
    (0.95, 0.95): None,
    (0.9, 0.9): None,  # 31.8 fps, 3 BRAM36 over
    (0.85, 0.85): 16.1,
    (0.8, 0.9): 16.1,
    (0.8, 0.85): 16.1,
}


def _measured(scales: dict[str, float]) -> float | None:
    return YOLOV2_TINY.get((scales["LUT"], scales["BRAM36"]))


def test_grid_finds_a_fit_where_one_scale_for_both_does_not():
    assert bisect_scale(lambda s: _measured({"LUT": s, "BRAM36": s}), rounds=5) is None
    tried = []

    def fits(scales):
        tried.append(scales)
        fps = _measured(scales)
        return None if fps is None else (scales["LUT"], scales["BRAM36"], fps)

    found = fastest_on_grid(fits, ["LUT", "BRAM36"], fps=lambda design: design[2])
    # the first of the equally fast ones in grid order (resources sorted: BRAM36 outer)
    assert found == (0.8, 0.9, 16.1)
    assert len(tried) == 64


def test_grid_prefers_the_faster_design_over_the_larger_caps():
    rates = {0.95: 10.0, 0.6: 25.0, 0.5: 20.0}
    found = fastest_on_grid(lambda s: rates.get(s["LUT"]), ["LUT"], fps=lambda fps: fps)
    assert found == 25.0


def test_grid_returns_none_when_nothing_fits():
    assert fastest_on_grid(lambda s: None, ["LUT", "BRAM36"], fps=float) is None


def test_the_target_ladder_steps_down_from_the_rate_that_overflowed():
    ladder = target_ladder(31.0)
    assert ladder[0] == 31.0 and ladder == sorted(ladder, reverse=True)
    assert ladder == [31.0 * step for step in TARGET_STEPS] and ladder[-1] == 15.5


# AutoFold asked for the cheapest folding at a target rate, measured on the same yolov2-tiny:
# fastest-within-caps overflowed at 31.0 fps, but the cheapest folding for 31 fps reaches
# 31.8 fps within every cap (BRAM36 exactly at 90%). Value: the design's fps, or None.
YOLOV2_TINY_TARGETS = {31.0: 31.8, 29.45: 31.8, 27.9: 31.8, 18.6: 21.7, 15.5: 15.9}


def test_the_ladder_takes_the_fastest_design_even_above_its_target():
    tried = []

    def cheapest_for(target):
        tried.append(target)
        return YOLOV2_TINY_TARGETS.get(round(target, 2))

    assert fastest_of(cheapest_for, target_ladder(31.0), fps=lambda f: f) == 31.8
    assert len(tried) == len(TARGET_STEPS)


def test_fastest_of_keeps_the_first_on_a_tie_and_none_when_nothing_fits():
    designs = {"a": ("a", 5.0), "b": ("b", 7.0), "c": ("c", 7.0)}
    assert fastest_of(designs.get, ["a", "b", "c"], fps=lambda d: d[1]) == ("b", 7.0)
    assert fastest_of(lambda point: None, ["a", "b"], fps=float) is None
