"""Check a detection head's NCHW tensor and view it per anchor: [N, num, entries, H, W]."""

from __future__ import annotations

import numpy as np

from qnnflow.errors import QnnflowError


def anchor_view(x: np.ndarray, num: int, coords: int, classes: int, layer: str) -> np.ndarray:
    """A float32 copy of `x` reshaped to [N, num, coords+1+classes, H, W], or a QnnflowError."""
    array = np.array(x, dtype=np.float32)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4:
        raise QnnflowError(f"[{layer}] input must be NCHW (or CHW), got shape {array.shape}")
    if num < 1 or classes < 1 or coords < 4:
        raise QnnflowError(
            f"[{layer}] needs num >= 1, classes >= 1 and coords >= 4, "
            f"got num={num}, classes={classes}, coords={coords}"
        )
    entries = coords + 1 + classes
    expected = num * entries
    n, channels, h, w = array.shape
    if channels != expected:
        raise QnnflowError(
            f"[{layer}] input has {channels} channels, expected num*(coords+1+classes) = "
            f"{num}*({coords}+1+{classes}) = {expected}"
        )
    return array.reshape(n, num, entries, h, w)


def single_image(view: np.ndarray, layer: str) -> np.ndarray:
    """Batch item 0 of an anchor view, which must hold exactly one image (as Darknet decodes)."""
    if view.shape[0] != 1:
        raise QnnflowError(f"[{layer}] decoding takes one image, got a batch of {view.shape[0]}")
    return view[0]
