"""Load an image file as Darknet does: RGB, float32 HWC, each byte divided by 255.

Two decoders: "darknet" (stb_image, Darknet's own: the pixels a Darknet-trained model and the
board's Darknet see) and "pillow" (Pillow; its JPEG pixels differ from stb_image's by up to
3/255, enough to move a 3-bit detector's scores by a few points).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from qnnflow.errors import QnnflowError

log = logging.getLogger(__name__)

DECODERS = ("darknet", "pillow")
DECODER_KEY = "qnnflow.image_decoder"  # model metadata naming the decoder it was trained with


def _pillow_rgb(file: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as opened:
            opened.load()
            rgb = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise QnnflowError(f"cannot read image {file}: {exc}") from exc
    return np.asarray(rgb, dtype=np.uint8)


def check_decoder(decoder: str) -> str:
    if decoder not in DECODERS:
        raise QnnflowError(f"image decoder must be one of {', '.join(DECODERS)}, got '{decoder}'")
    return decoder


def load_image_bytes(path: str | Path, decoder: str = "pillow") -> np.ndarray:
    """The image at `path` as uint8 [H, W, 3] RGB, decoded by `decoder`."""
    check_decoder(decoder)
    file = Path(path)
    if not file.is_file():
        raise QnnflowError(f"image not found: {file}")
    if decoder == "darknet":
        from qnnflow.yolo.stb_decoder import stb_load_rgb

        data = stb_load_rgb(file)
    else:
        data = _pillow_rgb(file)
    log.debug("loaded %s: %dx%d (%s)", file, data.shape[1], data.shape[0], decoder)
    return data


def load_image(path: str | Path, decoder: str = "pillow") -> np.ndarray:
    """Return the image at `path` as float32 [H, W, 3] RGB in [0, 1] (Darknet `load_image_color`).

    Grayscale is replicated to three channels and alpha is dropped, like stb_image with three
    requested channels; EXIF orientation is ignored, as Darknet ignores it.
    """
    data = load_image_bytes(path, decoder)
    return data.astype(np.float32) / np.float32(255.0)


def resolve_decoder(requested: str | None, preferred: str = "pillow") -> str:
    """The decoder to use: `requested` strictly (darknet that is unavailable is an error);
    else `preferred`, falling back to Pillow with one warning when stb_image is missing."""
    if requested is not None:
        if check_decoder(requested) == "darknet":
            from qnnflow.yolo.stb_decoder import stb_library

            stb_library()
        return requested
    if check_decoder(preferred) == "pillow":
        return "pillow"
    from qnnflow.yolo.stb_decoder import DecoderUnavailable, stb_library

    try:
        stb_library()
    except DecoderUnavailable as exc:
        log.warning("decoding images with Pillow, not Darknet's stb_image (%s)", exc)
        return "pillow"
    return "darknet"


def describe_decoder(decoder: str) -> str:
    """One line saying how images are decoded (for logs and the board's stderr)."""
    if check_decoder(decoder) == "pillow":
        return "images decoded by Pillow"
    from qnnflow.yolo.stb_decoder import stb_library

    return f"images decoded by {stb_library().describe()}"
