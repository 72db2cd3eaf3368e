"""Render one procedural detection image: a cluttered background, then 1-4 textured objects
painted in order (later ones partly cover earlier ones), with exact pixel boxes.

Everything random comes from the one `numpy.random.Generator` passed in, so an image is a pure
function of its seed. Backgrounds (gradients, low-frequency and pixel noise, soft blobs and
thin lines) are painted before any object, so they never count as objects and never cover one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
from PIL import Image

from qnnflow.data.shapes import CLASS_NAMES, Shape, random_shape, shape_mask
from qnnflow.errors import QnnflowError


@dataclass(frozen=True)
class SceneConfig:
    """What the generator varies; `dataset.json` records it so a dataset can be regenerated."""

    width: int = 224
    height: int = 224
    min_objects: int = 1
    max_objects: int = 4
    min_size: float = 20 / 224  # object extent as a fraction of the shorter image side
    max_size: float = 120 / 224
    clutter: bool = True  # False: plain black background, no distractors
    textures: bool = True  # False: solid colours only
    occlusion: bool = True  # False: objects never overlap
    min_visible: float = 0.55  # an occluded object keeps at least this fraction of its pixels
    classes: tuple[str, ...] = field(default=CLASS_NAMES)

    def check(self) -> None:
        if self.width < 16 or self.height < 16:
            raise QnnflowError(f"image size must be at least 16x16, got {self.width}x{self.height}")
        if not 1 <= self.min_objects <= self.max_objects <= 16:
            raise QnnflowError(
                f"need 1 <= min_objects <= max_objects <= 16, got "
                f"{self.min_objects}..{self.max_objects}"
            )
        if not 0 < self.min_size <= self.max_size <= 0.9:
            raise QnnflowError(f"need 0 < min_size <= max_size <= 0.9, got {self.min_size}..")
        if not 0 < self.min_visible <= 1:
            raise QnnflowError(f"min_visible must be in (0, 1], got {self.min_visible}")
        unknown = set(self.classes) - set(CLASS_NAMES)
        if not self.classes or unknown:
            raise QnnflowError(f"classes must be a subset of {CLASS_NAMES}, got {self.classes}")

    def to_dict(self) -> dict:
        out = asdict(self)
        out["classes"] = list(self.classes)
        return out


@dataclass
class Scene:
    """A rendered image and its objects; `owner` maps each pixel to the object that shows there
    (-1 for background) and `background` is the image before any object was painted."""

    image: np.ndarray  # uint8 [H, W, 3]
    boxes: np.ndarray  # int [N, 4] pixel (x0, y0, x1, y1), x1/y1 exclusive
    classes: np.ndarray  # int [N], indices into SceneConfig.classes
    owner: np.ndarray  # int16 [H, W]
    background: np.ndarray  # uint8 [H, W, 3]
    areas: np.ndarray  # int [N], each object's pixel count before anything covered it


def _smooth_noise(rng: np.random.Generator, width: int, height: int, cells: int) -> np.ndarray:
    """Bilinearly upsampled random grid: large soft blotches, [H, W, 3] in [-1, 1]."""
    grid = rng.uniform(-1.0, 1.0, (cells, cells, 3)).astype(np.float32)
    planes = [
        np.asarray(Image.fromarray(grid[:, :, c], mode="F").resize((width, height), Image.BILINEAR))
        for c in range(3)
    ]
    return np.stack(planes, axis=2)


def _linear_ramp(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A 0..1 ramp across the image in a random direction, [H, W, 1]."""
    angle = rng.uniform(0.0, 2.0 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    t = xs * np.cos(angle) + ys * np.sin(angle)
    return ((t - t.min()) / max(float(np.ptp(t)), 1.0))[:, :, None]


def _background(rng: np.random.Generator, cfg: SceneConfig) -> np.ndarray:
    w, h = cfg.width, cfg.height
    if not cfg.clutter:
        return np.zeros((h, w, 3), dtype=np.float32)
    a, b = rng.uniform(0.0, 1.0, (2, 3)).astype(np.float32)
    image = a + (b - a) * _linear_ramp(rng, w, h)
    image += rng.uniform(0.03, 0.15) * _smooth_noise(rng, w, h, int(rng.integers(3, 9)))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(int(rng.integers(0, 6))):  # soft blobs: fuzzy edges, unlike any object
        sigma = rng.uniform(0.02, 0.12) * min(w, h)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        alpha = rng.uniform(0.3, 0.8) * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))
        image += alpha[:, :, None] * (rng.uniform(0, 1, 3).astype(np.float32) - image)
    for _ in range(int(rng.integers(0, 4))):  # thin lines across the image
        x0, x1 = rng.uniform(0, w, 2)
        y0, y1 = rng.uniform(0, h, 2)
        dx, dy = x1 - x0, y1 - y0
        length = max(np.hypot(dx, dy), 1e-6)
        dist = np.abs(dy * (xs + 0.5 - x0) - dx * (ys + 0.5 - y0)) / length
        image[dist <= rng.uniform(0.5, 1.5)] = rng.uniform(0, 1, 3).astype(np.float32)
    image += rng.normal(0.0, rng.uniform(0.0, 0.04), image.shape).astype(np.float32)
    return image


def _texture(
    rng: np.random.Generator, colour: np.ndarray, hh: int, ww: int, textures: bool
) -> np.ndarray:
    """The object's fill on its window [hh, ww, 3]: solid, noisy, striped or a gradient."""
    fill = np.broadcast_to(colour, (hh, ww, 3)).astype(np.float32)
    kind = rng.integers(0, 4) if textures else 0
    if kind == 1:
        fill = fill + rng.normal(0.0, rng.uniform(0.04, 0.12), fill.shape).astype(np.float32)
    elif kind == 2:
        other = np.clip(colour + rng.uniform(-0.35, 0.35, 3), 0, 1).astype(np.float32)
        angle, period = rng.uniform(0, np.pi), rng.uniform(4.0, 12.0)
        ys, xs = np.mgrid[0:hh, 0:ww].astype(np.float32)
        band = (np.floor((xs * np.cos(angle) + ys * np.sin(angle)) / (period / 2)) % 2).astype(bool)
        fill = np.where(band[:, :, None], other, fill)
    elif kind == 3:
        other = np.clip(colour + rng.uniform(-0.3, 0.3, 3), 0, 1).astype(np.float32)
        fill = fill + (other - fill) * _linear_ramp(rng, ww, hh)
    return fill


def _colour(rng: np.random.Generator, under: np.ndarray, plain: bool) -> np.ndarray:
    """An object colour that stands out from the mean of what it covers (RGB distance >= 0.35)."""
    mean = under.reshape(-1, 3).mean(axis=0) if under.size else np.full(3, 0.5)
    colour = rng.uniform(0.0, 1.0, 3)
    for _ in range(20):
        bright_enough = not plain or colour.max() >= 0.4
        if np.linalg.norm(colour - mean) >= 0.35 and bright_enough:
            break
        colour = rng.uniform(0.0, 1.0, 3)
    return colour.astype(np.float32)


def _place(rng: np.random.Generator, shape: Shape, cfg: SceneConfig) -> Shape | None:
    reach = shape.reach + 1.0
    if 2 * reach >= min(cfg.width, cfg.height):
        return None
    cx = rng.uniform(reach, cfg.width - reach)
    cy = rng.uniform(reach, cfg.height - reach)
    return replace(shape, cx=float(cx), cy=float(cy))


def render_scene(rng: np.random.Generator, cfg: SceneConfig) -> Scene:
    """Draw one image; an object that cannot be placed within the occlusion rules in 20 tries
    is skipped (the first one always fits with the default sizes: the image is still empty)."""
    cfg.check()
    background = np.clip(_background(rng, cfg), 0.0, 1.0)
    image = background.copy()
    owner = np.full((cfg.height, cfg.width), -1, dtype=np.int16)
    areas: list[int] = []
    boxes, classes = [], []
    side = min(cfg.width, cfg.height)
    for _ in range(int(rng.integers(cfg.min_objects, cfg.max_objects + 1))):
        class_id = int(rng.integers(0, len(cfg.classes)))
        size = side * np.exp(rng.uniform(np.log(cfg.min_size), np.log(cfg.max_size)))
        base = random_shape(rng, cfg.classes[class_id], float(size))
        placed = _find_placement(rng, base, owner, areas, cfg)
        if placed is None:
            continue
        mask, top, left = placed
        hh, ww = mask.shape
        window = image[top : top + hh, left : left + ww]
        colour = _colour(rng, window[mask], not cfg.clutter)
        fill = _texture(rng, colour, hh, ww, cfg.textures)
        window[mask] = np.clip(fill[mask], 0.0, 1.0)
        owner[top : top + hh, left : left + ww][mask] = len(areas)
        areas.append(int(mask.sum()))
        rows, cols = np.nonzero(mask)
        boxes.append(
            [left + cols.min(), top + rows.min(), left + cols.max() + 1, top + rows.max() + 1]
        )
        classes.append(class_id)
    return Scene(
        image=_to_bytes(image),
        boxes=np.array(boxes, dtype=np.int64).reshape(-1, 4),
        classes=np.array(classes, dtype=np.int64),
        owner=owner,
        background=_to_bytes(background),
        areas=np.array(areas, dtype=np.int64),
    )


def _to_bytes(image: np.ndarray) -> np.ndarray:
    return np.round(image * 255.0).astype(np.uint8)


def _find_placement(
    rng: np.random.Generator, base: Shape, owner: np.ndarray, areas: list[int], cfg: SceneConfig
) -> tuple[np.ndarray, int, int] | None:
    """Up to 20 random positions for `base`: the first whose mask respects the occlusion rules,
    as (mask, top, left), or None."""
    for _attempt in range(20):
        shape = _place(rng, base, cfg)
        if shape is None:
            return None
        mask, (top, left) = shape_mask(shape, cfg.width, cfg.height)
        if not mask.any():
            continue
        region = owner[top : top + mask.shape[0], left : left + mask.shape[1]]
        if _acceptable(region, mask, areas, owner, cfg):
            return mask, top, left
    return None


def _acceptable(
    region: np.ndarray, mask: np.ndarray, areas: list[int], owner: np.ndarray, cfg: SceneConfig
) -> bool:
    """Would painting `mask` leave every earlier object at least `min_visible` of its pixels?"""
    covered = region[mask]
    hit = np.unique(covered[covered >= 0])
    if hit.size and not cfg.occlusion:
        return False
    for k in hit:
        remaining = int(np.count_nonzero(owner == k)) - int(np.count_nonzero(covered == k))
        if remaining < cfg.min_visible * areas[k]:
            return False
    return True
