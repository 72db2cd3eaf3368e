"""Loading images as Darknet does: RGB float32 HWC, bytes divided by 255, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from qnnflow.errors import QnnflowError
from qnnflow.yolo import letterbox_image, load_image

DOG = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tinier-yolo" / "images"


def rgb_bytes(h: int = 5, w: int = 7) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_rgb_png_round_trip(tmp_path: Path) -> None:
    data = rgb_bytes()
    Image.fromarray(data, "RGB").save(tmp_path / "im.png")
    im = load_image(tmp_path / "im.png")
    assert im.shape == (5, 7, 3) and im.dtype == np.float32
    np.testing.assert_array_equal(im, data.astype(np.float32) / np.float32(255))


def test_grayscale_becomes_three_equal_channels(tmp_path: Path) -> None:
    gray = rgb_bytes()[..., 0]
    Image.fromarray(gray, "L").save(tmp_path / "gray.png")
    im = load_image(str(tmp_path / "gray.png"))
    assert im.shape == (5, 7, 3)
    for channel in range(3):
        np.testing.assert_array_equal(im[..., channel], gray / np.float32(255))


def test_rgba_drops_alpha(tmp_path: Path) -> None:
    data = rgb_bytes()
    rgba = np.dstack([data, np.zeros(data.shape[:2], dtype=np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    np.testing.assert_array_equal(load_image(tmp_path / "rgba.png"), data / np.float32(255))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(QnnflowError, match="image not found"):
        load_image(tmp_path / "nope.jpg")


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"this is not a jpeg")
    with pytest.raises(QnnflowError, match="cannot read image"):
        load_image(bad)


def test_truncated_file(tmp_path: Path) -> None:
    Image.fromarray(rgb_bytes(64, 64), "RGB").save(tmp_path / "full.png")
    cut = tmp_path / "cut.png"
    cut.write_bytes((tmp_path / "full.png").read_bytes()[:200])
    with pytest.raises(QnnflowError, match="cannot read image"):
        load_image(cut)


def test_dog_letterbox() -> None:
    path = DOG / "dog.jpg"
    if not path.is_file():
        pytest.skip(f"shared test image not found at {path}")
    im = load_image(path)
    assert im.shape == (576, 768, 3)
    assert 0.0 <= im.min() and im.max() <= 1.0
    boxed = letterbox_image(im, 416, 416)
    assert np.all(boxed[:52] == 0.5) and np.all(boxed[364:] == 0.5)
    assert not np.all(boxed[52:364] == 0.5)
