"""Rendered scenes: deterministic, boxes tight around the drawn pixels, clutter only behind."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.data.scene import SceneConfig, render_scene
from qnnflow.errors import QnnflowError

CFG = SceneConfig(width=96, height=80)


def scenes(cfg: SceneConfig, n: int = 12):
    return [render_scene(np.random.default_rng([7, i]), cfg) for i in range(n)]


def test_same_seed_same_scene():
    a, b = (render_scene(np.random.default_rng(11), CFG) for _ in range(2))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.boxes, b.boxes)
    c = render_scene(np.random.default_rng(12), CFG)
    assert not np.array_equal(a.image, c.image)


def test_boxes_are_inside_and_match_the_drawn_pixels():
    for scene in scenes(CFG):
        assert 1 <= len(scene.boxes) <= 4
        assert scene.image.shape == (80, 96, 3) and scene.image.dtype == np.uint8
        x0, y0, x1, y1 = scene.boxes.T
        assert np.all((0 <= x0) & (x0 < x1) & (x1 <= 96) & (0 <= y0) & (y0 < y1) & (y1 <= 80))
        sides = np.maximum(x1 - x0, y1 - y0)
        assert np.all((sides >= 0.6 * 20 / 224 * 80 - 1) & (sides <= 1.3 * 120 / 224 * 80 + 1))
        # only object pixels differ from the background, and only inside their own box
        changed = np.any(scene.image != scene.background, axis=2)
        assert not np.any(changed & (scene.owner < 0))
        for k, (a, b, c, d) in enumerate(scene.boxes):
            rows, cols = np.nonzero(scene.owner == k)
            assert rows.size > 0
            assert a <= cols.min() and cols.max() < c and b <= rows.min() and rows.max() < d
        # the topmost object is never covered: its box is exactly its pixels' box
        rows, cols = np.nonzero(scene.owner == len(scene.boxes) - 1)
        top = scene.boxes[-1]
        assert [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1] == list(top)


def test_occluded_objects_stay_mostly_visible():
    occluded = 0
    for scene in scenes(CFG, 40):
        visible = np.array([np.count_nonzero(scene.owner == k) for k in range(len(scene.areas))])
        assert np.all(visible >= CFG.min_visible * scene.areas)
        occluded += int(np.sum(visible < scene.areas))
    assert occluded >= 3  # occlusion does happen


def test_plain_scenes_without_occlusion():
    cfg = SceneConfig(width=64, height=64, clutter=False, textures=False, occlusion=False)
    for scene in scenes(cfg):
        assert not np.any(scene.background)
        for k, (a, b, c, d) in enumerate(scene.boxes):
            rows, cols = np.nonzero(scene.owner == k)
            assert [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1] == [a, b, c, d]
            assert scene.image[rows, cols].max(axis=1).min() >= 0.4 * 255 - 1


def test_classes_are_balanced_enough():
    counts = np.bincount(np.concatenate([s.classes for s in scenes(CFG, 60)]), minlength=4)
    assert counts.min() >= 0.5 * counts.mean()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"width": 8}, "at least 16x16"),
        ({"min_objects": 3, "max_objects": 2}, "min_objects"),
        ({"min_size": 0.0}, "min_size"),
        ({"classes": ("circle", "star")}, "subset"),
    ],
)
def test_bad_config_is_a_clear_error(change, message):
    with pytest.raises(QnnflowError, match=message):
        render_scene(np.random.default_rng(0), SceneConfig(**change))
