"""Darknet letterboxing: the network input for an image, and the inverse map for its boxes."""

from __future__ import annotations

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.yolo.resize import resize_image, resize_into

_F32 = np.float32


def letterbox_size(im_w: int, im_h: int, net_w: int, net_h: int) -> tuple[int, int]:
    """The (new_w, new_h) the image is scaled to inside the net input, in Darknet's C arithmetic."""
    sizes = (int(im_w), int(im_h), int(net_w), int(net_h))
    if min(sizes) < 1:
        raise QnnflowError(f"image and network sizes must be positive, got {sizes}")
    im_w, im_h, net_w, net_h = sizes
    if _F32(net_w) / _F32(im_w) < _F32(net_h) / _F32(im_h):
        new_w, new_h = net_w, (im_h * net_w) // im_w
    else:
        new_w, new_h = (im_w * net_h) // im_h, net_h
    if new_w < 1 or new_h < 1:
        raise QnnflowError(
            f"a {im_w}x{im_h} image is too elongated to letterbox into {net_w}x{net_h}"
        )
    return new_w, new_h


def letterbox_placement(im_w: int, im_h: int, net_w: int, net_h: int) -> tuple[int, int, int, int]:
    """(top, left, new_h, new_w): where the scaled image sits on the net_w x net_h canvas."""
    new_w, new_h = letterbox_size(im_w, im_h, net_w, net_h)
    return (int(net_h) - new_h) // 2, (int(net_w) - new_w) // 2, new_h, new_w


def letterbox_hwc(im: np.ndarray, net_w: int, net_h: int) -> np.ndarray:
    """Letterbox an HWC image (float, or uint8 read as k / 255 like Darknet's load_image) into
    a new [net_h, net_w, C] float32 canvas: grey 0.5 bands, the resize written in place."""
    image = np.asarray(im)
    if image.ndim != 3:
        raise QnnflowError(f"expected an HWC image, got shape {image.shape}")
    im_h, im_w, channels = image.shape
    top, left, new_h, new_w = letterbox_placement(im_w, im_h, net_w, net_h)
    boxed = np.empty((int(net_h), int(net_w), channels), dtype=_F32)
    boxed[:top] = 0.5
    boxed[top + new_h :] = 0.5
    boxed[top : top + new_h, :left] = 0.5
    boxed[top : top + new_h, left + new_w :] = 0.5
    resize_into(image, boxed[top : top + new_h, left : left + new_w, :])
    return boxed


def letterbox_image(im: np.ndarray, net_w: int, net_h: int) -> np.ndarray:
    """Scale an HWC image to fit `net_w` x `net_h` keeping its aspect, centred on grey 0.5
    (the plain transcription of Darknet's letterbox_image: `letterbox_hwc` equals it)."""
    image = np.asarray(im, dtype=_F32)
    if image.ndim != 3:
        raise QnnflowError(f"expected an HWC image, got shape {image.shape}")
    im_h, im_w, channels = image.shape
    new_w, new_h = letterbox_size(im_w, im_h, net_w, net_h)
    resized = resize_image(image, new_w, new_h)
    boxed = np.full((int(net_h), int(net_w), channels), 0.5, dtype=_F32)
    top, left = (int(net_h) - new_h) // 2, (int(net_w) - new_w) // 2
    boxed[top : top + new_h, left : left + new_w, :] = resized
    return boxed


def to_nchw(im: np.ndarray) -> np.ndarray:
    """An HWC image as the contiguous float32 network input [1, C, H, W], Darknet's planar order."""
    image = np.asarray(im, dtype=_F32)
    if image.ndim != 3:
        raise QnnflowError(f"expected an HWC image, got shape {image.shape}")
    return np.ascontiguousarray(image.transpose(2, 0, 1)[None])


def network_input(im: np.ndarray, net_w: int, net_h: int) -> np.ndarray:
    """Letterbox an HWC float image and return it as the network input [1, C, net_h, net_w]."""
    return to_nchw(letterbox_hwc(np.asarray(im, dtype=_F32), net_w, net_h))


def correct_boxes(boxes: np.ndarray, im_w: int, im_h: int, net_w: int, net_h: int) -> np.ndarray:
    """Map relative (x, y, w, h) boxes from the letterboxed net input back to the image.

    Darknet `correct_region_boxes` / `correct_yolo_boxes` with `relative=1`, including their mix
    of double (offsets, the x/y division) and float (scale factors, the w/h product) arithmetic.
    """
    array = np.asarray(boxes, dtype=_F32)
    if array.ndim != 2 or array.shape[1] != 4:
        raise QnnflowError(f"boxes must have shape [n, 4] (x, y, w, h), got {array.shape}")
    new_w, new_h = letterbox_size(im_w, im_h, net_w, net_h)
    net_w, net_h = int(net_w), int(net_h)
    out = np.empty_like(array)
    off_x = (net_w - new_w) / 2.0 / net_w
    off_y = (net_h - new_h) / 2.0 / net_h
    frac_x = np.float64(_F32(new_w) / _F32(net_w))
    frac_y = np.float64(_F32(new_h) / _F32(net_h))
    out[:, 0] = ((array[:, 0].astype(np.float64) - off_x) / frac_x).astype(_F32)
    out[:, 1] = ((array[:, 1].astype(np.float64) - off_y) / frac_y).astype(_F32)
    out[:, 2] = array[:, 2] * (_F32(net_w) / _F32(new_w))
    out[:, 3] = array[:, 3] * (_F32(net_h) / _F32(new_h))
    return out
