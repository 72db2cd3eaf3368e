"""Darknet's two-pass bilinear `resize_image`, vectorised but float32-exact to the C loops.

`resize_image` is the plain transcription; `resize_into` is the per-frame path of the
driver (cached plans, in-place passes, uint8 pixels converted after the gather) and equals
it bit for bit."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

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


@dataclass(frozen=True)
class ResizePlan:
    """`resize_image`'s indices and float32 weights for one (old, new, channels) size,
    computed once. Column weights are repeated per channel so a pass over a row of
    new_w * C values is one long loop; the weights of the last column (copied from the last
    input column, not blended) are 1 and 0 and that column is overwritten afterwards. Rows
    after `blend_h` keep `(1 - dy) *` their first source only (Darknet's last row)."""

    ix: np.ndarray  # [new_w] left source column
    ix1: np.ndarray  # [new_w] right source column
    keep_x: np.ndarray  # (1 - dx), [new_w * C]
    dx: np.ndarray  # [new_w * C]
    iy: np.ndarray  # [new_h]
    iy1: np.ndarray  # [blend_h]
    keep_y: np.ndarray  # (1 - dy), [new_h, 1, 1]
    dy: np.ndarray  # [blend_h, 1, 1]


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.flags.writeable = False  # shared by every frame of this size
    return array


@lru_cache(maxsize=32)
def resize_plan(old_w: int, old_h: int, new_w: int, new_h: int, channels: int) -> ResizePlan:
    """The cached plan of `resize_image` from old_w x old_h to new_w x new_h."""
    one = _F32(1.0)
    ix, dx = _positions(old_w, new_w)
    ix1 = np.minimum(ix + 1, old_w - 1)
    ix[-1] = ix1[-1] = old_w - 1  # the copied last column
    dx[-1] = 0.0
    if old_w == 1:
        dx[:] = 0.0
    iy, dy = _positions(old_h, new_h)
    blend_h = 0 if old_h == 1 else new_h - 1
    return ResizePlan(
        ix=_frozen(np.minimum(ix, old_w - 1)),
        ix1=_frozen(ix1),
        keep_x=_frozen(np.repeat(one - dx, channels)),
        dx=_frozen(np.repeat(dx, channels)),
        iy=_frozen(iy),
        iy1=_frozen(np.minimum(iy + 1, old_h - 1)[:blend_h]),
        keep_y=_frozen((one - dy)[:, None, None]),
        dy=_frozen(dy[:blend_h, None, None]),
    )


def _columns(image: np.ndarray, index: np.ndarray, from_uint8: bool) -> np.ndarray:
    """Columns `index` of `image` as a fresh float32 [H, len(index) * C] array; uint8
    pixels become k / 255 (Darknet's load_image scale) after the gather."""
    out = np.take(image, index, axis=1).astype(_F32).reshape(image.shape[0], -1)
    if from_uint8:
        np.divide(out, _F32(255.0), out=out)
    return out


def resize_into(im: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`resize_image(im, W, H)` written into `out` [H, W, C] (e.g. a letterbox canvas view),
    bit for bit the same float32 values, with fewer and longer passes: cached indices and
    weights, in-place products in Darknet's order ((1 - w) * a + w * b). A uint8 `im` is
    read as k / 255 per gathered pixel, the same float32 division as converting the whole
    image first."""
    image = np.asarray(im)
    if image.ndim != 3 or min(image.shape) < 1 or out.ndim != 3 or min(out.shape) < 1:
        raise QnnflowError(f"expected non-empty HWC images, got {image.shape} -> {out.shape}")
    if out.shape[2] != image.shape[2] or out.dtype != _F32:
        raise QnnflowError(f"resize output {out.shape} {out.dtype} does not fit {image.shape}")
    from_uint8 = image.dtype == np.uint8
    if not from_uint8:
        image = image.astype(_F32, copy=False)
    old_h, old_w, channels = image.shape
    new_h, new_w, _ = out.shape
    plan = resize_plan(old_w, old_h, new_w, new_h, channels)

    part = _columns(image, plan.ix, from_uint8)
    np.multiply(plan.keep_x, part, out=part)
    right = _columns(image, plan.ix1, from_uint8)
    np.multiply(plan.dx, right, out=right)
    np.add(part, right, out=part)
    part = part.reshape(old_h, new_w, channels)
    part[:, new_w - 1 :] = _columns(image, plan.ix[-1:], from_uint8).reshape(old_h, 1, channels)
    if old_w == 1:
        part[:] = part[:, new_w - 1 :]

    np.multiply(plan.keep_y, part[plan.iy], out=out)
    below = part[plan.iy1]
    np.multiply(plan.dy, below, out=below)
    np.add(out[: plan.iy1.size], below, out=out[: plan.iy1.size])
    return out
