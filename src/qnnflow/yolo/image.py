"""Load an image file as Darknet does: RGB, float32 HWC, each byte divided by 255."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from qnnflow.errors import QnnflowError

log = logging.getLogger(__name__)


def load_image(path: str | Path) -> np.ndarray:
    """Return the image at `path` as float32 [H, W, 3] RGB in [0, 1] (Darknet `load_image_color`).

    Grayscale is replicated to three channels and alpha is dropped, like stb_image with three
    requested channels; EXIF orientation is ignored, as Darknet ignores it.
    """
    file = Path(path)
    if not file.is_file():
        raise QnnflowError(f"image not found: {file}")
    try:
        with Image.open(file) as opened:
            opened.load()
            rgb = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise QnnflowError(f"cannot read image {file}: {exc}") from exc
    data = np.asarray(rgb, dtype=np.uint8)
    log.debug("loaded %s: %dx%d (mode %s)", file, data.shape[1], data.shape[0], rgb.mode)
    return data.astype(np.float32) / np.float32(255.0)
