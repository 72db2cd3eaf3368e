"""One centred procedural shape per image, for classification.

The detection scenes (data/scene.py) hide small objects among lines and blobs, which at 32x32
leaves too little signal for a quick benchmark; here the class is the only structure: a
random two-colour gradient background with pixel noise, and one shape (data/shapes.py's
outlines) of random size (40-65 % of the side), rotation and aspect, a colour that stands out
from the background under it, and a centre jittered by up to 3 pixels (less for shapes that
would otherwise touch the border).
"""

from __future__ import annotations

import numpy as np

from qnnflow.data.shapes import random_shape, shape_mask

SIZE_RANGE = (0.4, 0.65)  # extent as a fraction of the shorter side
MAX_JITTER = 3.0  # pixels
MIN_CONTRAST = 0.35  # RGB distance between the shape colour and the background under it


def _background(rng: np.random.Generator, height: int, width: int, plain: bool) -> np.ndarray:
    if plain:
        return np.zeros((height, width, 3), dtype=np.float64)
    a, b = rng.uniform(0.0, 1.0, (2, 3))
    angle = rng.uniform(0.0, 2.0 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    t = xs * np.cos(angle) + ys * np.sin(angle)
    ramp = ((t - t.min()) / max(float(np.ptp(t)), 1.0))[:, :, None]
    image = a + (b - a) * ramp
    return image + rng.normal(0.0, rng.uniform(0.0, 0.04), image.shape)


def render_shape_image(
    rng: np.random.Generator, kind: str, height: int, width: int, plain: bool = False
) -> np.ndarray:
    """uint8 (H, W, 3): one `kind` shape near the centre on a gradient (or black) background."""
    image = np.clip(_background(rng, height, width, plain), 0.0, 1.0)
    side = min(height, width)
    shape = random_shape(rng, kind, side * rng.uniform(*SIZE_RANGE))
    room = max(min(MAX_JITTER, side / 2 - shape.reach - 1.0), 0.0)
    cx = width / 2 + rng.uniform(-room, room)
    cy = height / 2 + rng.uniform(-room, room)
    mask, (top, left) = shape_mask(type(shape)(kind, cx, cy, shape.params), width, height)
    window = image[top : top + mask.shape[0], left : left + mask.shape[1]]
    under = window[mask].mean(axis=0)
    colour = rng.uniform(0.0, 1.0, 3)
    for _ in range(20):
        if np.linalg.norm(colour - under) >= MIN_CONTRAST:
            break
        colour = rng.uniform(0.0, 1.0, 3)
    fill = colour + rng.normal(0.0, rng.uniform(0.0, 0.05), (int(mask.sum()), 3))
    window[mask] = np.clip(fill, 0.0, 1.0)
    return np.round(image * 255.0).astype(np.uint8)
