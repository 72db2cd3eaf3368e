"""Darknet resize_image: the vectorised version equals a literal scalar transcription of the C."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnnflow.errors import QnnflowError
from qnnflow.yolo import resize_image

F = np.float32


def reference_resize(im: np.ndarray, w: int, h: int) -> np.ndarray:
    """Darknet's two loops, one scalar at a time, in float32 (scale 0 where C divides by 0)."""
    old_h, old_w, channels = im.shape
    part = np.zeros((old_h, w, channels), dtype=F)
    resized = np.zeros((h, w, channels), dtype=F)
    w_scale = F(old_w - 1) / F(w - 1) if w > 1 else F(0)
    h_scale = F(old_h - 1) / F(h - 1) if h > 1 else F(0)
    for k in range(channels):
        for r in range(old_h):
            for c in range(w):
                if c == w - 1 or old_w == 1:
                    val = im[r, old_w - 1, k]
                else:
                    sx = F(c) * w_scale
                    ix = int(sx)
                    dx = sx - F(ix)
                    val = (F(1) - dx) * im[r, ix, k] + dx * im[r, ix + 1, k]
                part[r, c, k] = val
    for k in range(channels):
        for r in range(h):
            sy = F(r) * h_scale
            iy = int(sy)
            dy = sy - F(iy)
            for c in range(w):
                resized[r, c, k] = (F(1) - dy) * part[iy, c, k]
            if r == h - 1 or old_h == 1:
                continue
            for c in range(w):
                resized[r, c, k] = resized[r, c, k] + dy * part[iy + 1, c, k]
    return resized


def random_image(w: int, h: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ((7, 5), (13, 11)),  # up
        ((13, 11), (7, 5)),  # down
        ((17, 9), (5, 12)),  # down in w, up in h
        ((1, 1), (4, 3)),  # one-pixel source
        ((1, 6), (3, 4)),  # one-pixel-wide source
        ((6, 1), (4, 3)),  # one-pixel-high source
        ((5, 4), (1, 1)),  # one-pixel target
        ((5, 4), (1, 3)),
        ((5, 4), (3, 1)),
        ((2, 2), (42, 42)),  # float32 scale makes the last row's weight 1 - dy ~ 6e-8
    ],
)
def test_resize_matches_scalar_reference(old: tuple[int, int], new: tuple[int, int]) -> None:
    im = random_image(*old)
    out = resize_image(im, *new)
    assert out.dtype == np.float32
    assert out.shape == (new[1], new[0], 3)
    np.testing.assert_array_equal(out, reference_resize(im, *new))


def test_darknet_last_row_quirk_is_reproduced() -> None:
    im = np.ones((2, 2, 3), dtype=np.float32)
    out = resize_image(im, 42, 42)
    assert np.all(out[:-1] == 1.0)
    assert np.all(out[-1] < 1e-6)  # Darknet darkens it too


def test_same_size_is_identity() -> None:
    im = random_image(9, 9, seed=3)
    np.testing.assert_array_equal(resize_image(im, 9, 9), im)


def test_one_pixel_outputs_are_defined() -> None:
    im = random_image(5, 4, seed=4)
    np.testing.assert_array_equal(resize_image(im, 1, 4)[:, 0], im[:, -1])
    np.testing.assert_array_equal(resize_image(im, 5, 1)[0], im[0])


@settings(max_examples=25, deadline=None)
@given(
    old_w=st.integers(1, 8),
    old_h=st.integers(1, 8),
    new_w=st.integers(1, 8),
    new_h=st.integers(1, 8),
    seed=st.integers(0, 1000),
)
def test_resize_property(old_w: int, old_h: int, new_w: int, new_h: int, seed: int) -> None:
    im = random_image(old_w, old_h, seed)
    np.testing.assert_array_equal(
        resize_image(im, new_w, new_h), reference_resize(im, new_w, new_h)
    )


@pytest.mark.parametrize("shape", [(4, 4), (0, 3, 3), (2, 2, 3, 1)])
def test_bad_image_shape(shape: tuple[int, ...]) -> None:
    with pytest.raises(QnnflowError, match="HWC"):
        resize_image(np.zeros(shape, dtype=np.float32), 3, 3)


def test_bad_target_size() -> None:
    with pytest.raises(QnnflowError, match="at least 1x1"):
        resize_image(random_image(3, 3), 0, 3)


@pytest.mark.parametrize(
    "old", [(1, 1, 3), (1, 7, 3), (7, 1, 2), (5, 9, 3), (33, 17, 1), (48, 64, 3)]
)
@pytest.mark.parametrize("new", [(1, 1), (1, 5), (5, 1), (45, 29), (16, 40)])
def test_resize_into_equals_resize_image_on_uint8_and_float(old, new):
    """The driver's in-place resize is bit-identical to the transcription, reading uint8 as
    k / 255 after the gather, writing into a strided canvas view."""
    from qnnflow.yolo.resize import resize_into

    rng = np.random.default_rng(sum(old) + sum(new))
    pixels = rng.integers(0, 256, size=old, dtype=np.uint8)
    pixels.flat[0], pixels.flat[-1] = 0, 255
    floats = pixels.astype(F) / F(255)
    canvas = np.zeros((new[1] + 3, new[0] + 2, old[2]), F)
    for source in (pixels, floats, rng.standard_normal(old).astype(F)):
        view = canvas[1 : 1 + new[1], 2:]
        got = resize_into(source, view)
        want = resize_image(source.astype(F) / F(255) if source.dtype == np.uint8 else source, *new)
        assert got.tobytes() == want.tobytes()
    assert not canvas[0].any() and not canvas[1 + new[1] :].any() and not canvas[:, :2].any()
