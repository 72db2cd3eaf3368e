"""Darknet's two-pass bilinear `resize_image`, vectorised but float32-exact to the C loops."""

from __future__ import annotations

import numpy as np

from qnnflow.errors import QnnflowError

_F32 = np.float32


def _check_image(im: np.ndarray) -> np.ndarray:
    image = np.asarray(im, dtype=_F32)
    if image.ndim != 3 or min(image.shape) < 1:
        raise QnnflowError(f"expected an HWC image with non-empty sides, got shape {image.shape}")
    return image


def _scale(old: int, new: int) -> np.float32:
    """`(float)(old - 1) / (new - 1)`; 0 for a one-pixel output, where C divides by zero."""
    if new == 1:
        return _F32(0.0)
    return _F32(old - 1) / _F32(new - 1)


def _positions(old: int, new: int) -> tuple[np.ndarray, np.ndarray]:
    """Source index (truncated) and float32 fraction for each output coordinate."""
    pos = np.arange(new, dtype=_F32) * _scale(old, new)
    index = pos.astype(np.int64)
    frac = pos - index.astype(_F32)
    return index, frac


def resize_image(im: np.ndarray, new_w: int, new_h: int) -> np.ndarray:
    """Resize an HWC float32 image like Darknet: horizontal pass into a part image, then vertical.

    Reproduces `resize_image` of Darknet's image.c bit for bit (float32 arithmetic, truncating
    index casts, the last output column taken from the last input column, the last output row
    weighted by `1 - dy` only). Where the C code divides by zero (a one-pixel output side) the
    scale is defined as 0: a one-pixel-high output is the first row; a one-pixel-wide output is
    the last column, as the C code already does.
    """
    image = _check_image(im)
    if int(new_w) < 1 or int(new_h) < 1:
        raise QnnflowError(f"resize target must be at least 1x1, got {new_w}x{new_h}")
    new_w, new_h = int(new_w), int(new_h)
    old_h, old_w, _ = image.shape
    one = _F32(1.0)

    # Horizontal pass: part[r, c] = (1 - dx) * im[r, ix] + dx * im[r, ix + 1].
    ix, dx = _positions(old_w, new_w)
    ix1 = np.minimum(ix + 1, old_w - 1)
    wx = dx[None, :, None]
    part = (one - wx) * image[:, ix, :] + wx * image[:, ix1, :]
    copy_last = np.arange(new_w) == new_w - 1
    if old_w == 1:
        copy_last[:] = True
    part[:, copy_last, :] = image[:, old_w - 1 : old_w, :]

    # Vertical pass: out[r] = (1 - dy) * part[iy], then += dy * part[iy + 1] except on the last row.
    iy, dy = _positions(old_h, new_h)
    iy1 = np.minimum(iy + 1, old_h - 1)
    wy = dy[:, None, None]
    out = (one - wy) * part[iy]
    add = np.arange(new_h) != new_h - 1
    if old_h == 1:
        add[:] = False
    out[add] = out[add] + (wy * part[iy1])[add]
    return out.astype(_F32, copy=False)
