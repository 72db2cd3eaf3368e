"""Darknet-exact decoding: our stb_image shim against libdarknet's own `load_image_stb`, pixel
for pixel, and what happens when neither the header nor the library is installed."""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from qnnflow.errors import QnnflowError
from qnnflow.yolo import stb_decoder
from qnnflow.yolo.image import load_image, resolve_decoder
from qnnflow.yolo.shim_build import load_library
from qnnflow.yolo.stb_decoder import (
    LIBDARKNET,
    DecoderUnavailable,
    find_header,
    stb_library,
    stb_load_rgb,
)
from tests.conftest import TINIER_YOLO_DIR

needs_libdarknet = pytest.mark.skipif(
    not LIBDARKNET.is_file(), reason=f"{LIBDARKNET} absent (make darknet, Debian's darknet)"
)
needs_header = pytest.mark.skipif(
    find_header() is None, reason="<stb/stb_image.h> absent (apt-get install libstb-dev)"
)


class _Image(ctypes.Structure):
    _fields_ = [
        ("w", ctypes.c_int),
        ("h", ctypes.c_int),
        ("c", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_float)),
    ]


def darknet_load_image_stb(path: Path) -> np.ndarray:
    """Darknet's own `load_image_stb(path, 3)` as float32 HWC (it exits on unreadable files)."""
    lib = load_library(LIBDARKNET)  # not ctypes.CDLL: it would switch on flush-to-zero here
    lib.load_image_stb.restype = _Image
    lib.load_image_stb.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.free_image.argtypes = [_Image]
    im = lib.load_image_stb(str(path).encode(), 3)
    try:
        flat = np.ctypeslib.as_array(im.data, shape=(im.c * im.h * im.w,))
        return flat.reshape(im.c, im.h, im.w).transpose(1, 2, 0).copy()
    finally:
        lib.free_image(im)


def _scene(h: int = 61, w: int = 83) -> np.ndarray:
    """Smooth gradients plus noise and sharp edges: every JPEG block type gets exercised."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 / w, y * 255 / h, (x + y) * 127 / (w + h)], axis=-1)
    base[h // 3 : h // 2, w // 4 : w // 2] = (250, 10, 30)
    noisy = base + rng.normal(0, 25, size=base.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _write(folder: Path, kind: str) -> Path:
    rgb = _scene()
    if kind.startswith("jpeg"):
        path = folder / f"{kind}.jpg"
        options = {
            "jpeg420": {"subsampling": 2, "quality": 75},
            "jpeg422": {"subsampling": 1, "quality": 90},
            "jpeg444": {"subsampling": 0, "quality": 95},
            "jpeg_progressive": {"progressive": True, "quality": 80},
        }
        if kind == "jpeg_gray":
            Image.fromarray(rgb[..., 1], "L").save(path, quality=85)
        else:
            Image.fromarray(rgb, "RGB").save(path, **options[kind])
        return path
    path = folder / f"{kind}.png"
    if kind == "png_rgba":
        alpha = np.full(rgb.shape[:2], 128, dtype=np.uint8)
        Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(path)
    elif kind == "png_palette":
        Image.fromarray(rgb, "RGB").quantize(colors=16).save(path)
    else:
        Image.fromarray(rgb, "RGB").save(path)
    return path


KINDS = ("jpeg420", "jpeg422", "jpeg444", "jpeg_progressive", "jpeg_gray")
KINDS += ("png_rgb", "png_rgba", "png_palette")


@needs_libdarknet
@pytest.mark.parametrize("kind", KINDS)
def test_generated_images_match_darknet_pixel_for_pixel(tmp_path, kind):
    path = _write(tmp_path, kind)
    ours = load_image(path, "darknet")
    np.testing.assert_array_equal(ours, darknet_load_image_stb(path))


@needs_libdarknet
def test_dog_jpg_matches_darknet_and_differs_from_pillow():
    dog = TINIER_YOLO_DIR / "images" / "dog.jpg"
    if not dog.is_file():
        pytest.skip(f"shared data not found at {dog}")
    ours = load_image(dog, "darknet")
    np.testing.assert_array_equal(ours, darknet_load_image_stb(dog))
    # the reason this module exists: Pillow's JPEG pixels are not Darknet's
    pillow = load_image(dog, "pillow")
    assert 0.05 < np.mean(pillow != ours) and np.abs(pillow - ours).max() <= 3.5 / 255


@needs_header
@needs_libdarknet
def test_shim_and_libdarknet_paths_agree(tmp_path):
    path = _write(tmp_path, "jpeg420")
    shim = stb_library()
    assert shim.origin == "shim"
    inside = stb_decoder._bind(LIBDARKNET, "libdarknet")
    np.testing.assert_array_equal(stb_load_rgb(path, shim), stb_load_rgb(path, inside))


@needs_libdarknet
def test_libdarknet_is_the_fallback_without_the_header(tmp_path):
    found = stb_library(include_dirs=(tmp_path,))
    assert found.origin == "libdarknet" and "libdarknet" in found.describe()


def test_neither_header_nor_library_is_one_clear_line(tmp_path):
    with pytest.raises(DecoderUnavailable) as info:
        stb_library(include_dirs=(tmp_path,), libdarknet=tmp_path / "libdarknet.so")
    message = str(info.value)
    assert "\n" not in message and "libstb-dev" in message and "libdarknet.so" in message


def _unavailable(monkeypatch, tmp_path):
    def missing(*args, **kwargs):
        raise DecoderUnavailable("darknet image decoding needs stb_image (test)")

    monkeypatch.setattr(stb_decoder, "stb_library", missing)


def test_default_darknet_falls_back_to_pillow_with_a_warning(monkeypatch, tmp_path, caplog):
    _unavailable(monkeypatch, tmp_path)
    with caplog.at_level(logging.WARNING):
        assert resolve_decoder(None, "darknet") == "pillow"
    assert "Pillow" in caplog.text and "stb_image" in caplog.text


def test_asking_for_darknet_explicitly_fails_when_unavailable(monkeypatch, tmp_path):
    _unavailable(monkeypatch, tmp_path)
    with pytest.raises(DecoderUnavailable, match="stb_image"):
        resolve_decoder("darknet", "pillow")
    assert resolve_decoder("pillow", "darknet") == "pillow"


def test_unknown_decoder_is_refused():
    with pytest.raises(QnnflowError, match="one of darknet, pillow"):
        resolve_decoder("opencv")


@pytest.mark.skipif(
    find_header() is None and not LIBDARKNET.is_file(), reason="neither stb header nor libdarknet"
)
def test_unreadable_file_through_stb_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg at all")
    with pytest.raises(QnnflowError, match="cannot read image .*bad.jpg: stb_image"):
        load_image(bad, "darknet")
