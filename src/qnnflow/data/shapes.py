"""Rasterise the object classes as hard-edged boolean masks, so every label box is exactly the
bounding box of the pixels drawn (no anti-aliasing, which would blur where an object ends).

A pixel (row, col) belongs to a shape when its centre (col + 0.5, row + 0.5) lies inside the
continuous outline. Each shape is drawn on a square window around its centre whose half side
(`reach`) bounds the outline, so placement only has to keep that window inside the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnnflow.errors import QnnflowError

CLASS_NAMES: tuple[str, ...] = ("circle", "rectangle", "triangle", "ellipse")


@dataclass(frozen=True)
class Shape:
    """One object outline: its class, centre in pixels and geometry (radii/vertices in px)."""

    kind: str
    cx: float
    cy: float
    params: tuple[float, ...]

    @property
    def class_id(self) -> int:
        return CLASS_NAMES.index(self.kind)

    @property
    def reach(self) -> float:
        """A radius around the centre that contains the whole outline."""
        if self.kind == "circle":
            return self.params[0]
        if self.kind == "ellipse":
            return max(self.params[0], self.params[1])
        vertices = np.asarray(self.params, dtype=np.float64).reshape(-1, 2)
        return float(np.max(np.hypot(vertices[:, 0], vertices[:, 1])))


def random_shape(rng: np.random.Generator, kind: str, size: float) -> Shape:
    """A shape of class `kind` whose largest extent is about `size` pixels, centred at 0."""
    half = size / 2.0
    if kind == "circle":
        return Shape(kind, 0.0, 0.0, (half,))
    if kind == "ellipse":
        minor = half * rng.uniform(0.35, 0.7)  # clearly not a circle, even rotated
        return Shape(kind, 0.0, 0.0, (half, minor, rng.uniform(0.0, np.pi)))
    if kind == "rectangle":
        w, h = half, half * rng.uniform(0.4, 1.0)
        if rng.random() < 0.5:
            w, h = h, w
        angle = rng.uniform(-np.pi / 9, np.pi / 9)  # mostly upright: at most 20 degrees
        corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]])
        return Shape(kind, 0.0, 0.0, tuple(_rotate(corners, angle).ravel()))
    if kind == "triangle":
        base = rng.uniform(0.0, 2.0 * np.pi)
        angles = base + np.array([0.0, 2.0, 4.0]) * np.pi / 3 + rng.uniform(-0.35, 0.35, 3)
        radii = half * rng.uniform(0.75, 1.0, 3)
        corners = np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
        return Shape(kind, 0.0, 0.0, tuple(corners.ravel()))
    raise QnnflowError(f"unknown shape class '{kind}' (known: {', '.join(CLASS_NAMES)})")


def _rotate(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, s], [-s, c]])


def _convex_polygon(dx: np.ndarray, dy: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Inside test for a convex polygon in either winding: all edge cross products agree."""
    signs = []
    for i in range(len(vertices)):
        x0, y0 = vertices[i]
        x1, y1 = vertices[(i + 1) % len(vertices)]
        signs.append((x1 - x0) * (dy - y0) - (y1 - y0) * (dx - x0))
    stacked = np.stack(signs)
    return np.all(stacked >= 0, axis=0) | np.all(stacked <= 0, axis=0)


def shape_mask(shape: Shape, width: int, height: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The shape's mask on its window, and the window's (top, left) corner in the image.

    The window is clipped to the image, so a shape placed partly outside is cut at the border.
    """
    reach = shape.reach
    left = max(int(np.floor(shape.cx - reach)), 0)
    top = max(int(np.floor(shape.cy - reach)), 0)
    right = min(int(np.ceil(shape.cx + reach)) + 1, width)
    bottom = min(int(np.ceil(shape.cy + reach)) + 1, height)
    if right <= left or bottom <= top:
        return np.zeros((0, 0), dtype=bool), (top, left)
    dy = np.arange(top, bottom, dtype=np.float64)[:, None] + 0.5 - shape.cy
    dx = np.arange(left, right, dtype=np.float64)[None, :] + 0.5 - shape.cx
    if shape.kind == "circle":
        mask = dx * dx + dy * dy <= shape.params[0] ** 2
    elif shape.kind == "ellipse":
        major, minor, angle = shape.params
        c, s = np.cos(angle), np.sin(angle)
        u, v = dx * c + dy * s, -dx * s + dy * c
        mask = (u / major) ** 2 + (v / minor) ** 2 <= 1.0
    else:
        vertices = np.asarray(shape.params, dtype=np.float64).reshape(-1, 2)
        mask = _convex_polygon(dx, dy, vertices)
    return np.asarray(mask, dtype=bool), (top, left)
