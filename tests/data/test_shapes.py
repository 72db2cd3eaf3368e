"""Shape masks: areas close to the continuous outline, tight windows, every class drawable."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qnnflow.data.shapes import CLASS_NAMES, Shape, random_shape, shape_mask
from qnnflow.errors import QnnflowError


def test_circle_area_and_extent():
    mask, (top, left) = shape_mask(Shape("circle", 50.0, 40.0, (20.0,)), 100, 100)
    assert abs(mask.sum() - np.pi * 400) < 0.02 * np.pi * 400
    rows, cols = np.nonzero(mask)
    assert (left + cols.min(), left + cols.max() + 1) == (30, 70)
    assert (top + rows.min(), top + rows.max() + 1) == (20, 60)


def test_axis_aligned_rectangle_is_exact():
    corners = (-10.0, -5.0, 10.0, -5.0, 10.0, 5.0, -10.0, 5.0)
    mask, (top, left) = shape_mask(Shape("rectangle", 30.0, 30.0, corners), 64, 64)
    rows, cols = np.nonzero(mask)
    assert mask.sum() == 20 * 10
    assert (left + cols.min(), top + rows.min()) == (20, 25)


def test_triangle_either_winding_has_half_its_box():
    ccw = (0.0, -20.0, -20.0, 20.0, 20.0, 20.0)
    cw = (0.0, -20.0, 20.0, 20.0, -20.0, 20.0)
    a = shape_mask(Shape("triangle", 32.0, 32.0, ccw), 64, 64)[0].sum()
    b = shape_mask(Shape("triangle", 32.0, 32.0, cw), 64, 64)[0].sum()
    assert a == b and abs(a - 800) < 40


@pytest.mark.parametrize("kind", CLASS_NAMES)
def test_random_shapes_fit_their_reach(kind):
    rng = np.random.default_rng(3)
    for _ in range(20):
        shape = replace(random_shape(rng, kind, 60.0), cx=100.0, cy=100.0)
        mask, (top, left) = shape_mask(shape, 200, 200)
        rows, cols = np.nonzero(mask)
        assert mask.sum() > 0.2 * 30 * 30
        assert np.all(np.hypot(left + cols + 0.5 - 100, top + rows + 0.5 - 100) <= shape.reach)
        extent = max(cols.max() - cols.min(), rows.max() - rows.min()) + 1
        assert 0.6 * 60 <= extent <= 1.3 * 60 + 1  # rotation: up to 20 degrees for rectangles


def test_ellipse_is_elongated():
    rng = np.random.default_rng(0)
    for _ in range(10):
        major, minor, _ = random_shape(rng, "ellipse", 80.0).params
        assert minor <= 0.7 * major


def test_unknown_class_is_refused():
    with pytest.raises(QnnflowError, match="unknown shape class 'hexagon'"):
        random_shape(np.random.default_rng(0), "hexagon", 10.0)
