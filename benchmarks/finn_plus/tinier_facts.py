"""Why finn-plus cannot compile the trained Tinier-YOLO, measured from its parameter file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

BRAM36_BITS = 36 * 1024


def finn_blockers(npz: Path, bram36: int) -> list[str]:
    """One line per reason, with the numbers read from `npz` and the board's BRAM count."""
    data = np.load(npz)
    reasons = []
    strides, pads = data["maxpool_stride"], data["maxpool_pad_bottom_right"]
    after, sizes = data["maxpool_after_conv"], data["maxpool_size"]
    for conv, size, stride, pad in zip(after, sizes, strides, pads, strict=True):
        if stride == 1 and pad:
            reasons.append(
                f"max-pool after conv{conv} is {size}x{size} stride 1 padded {pad} at the "
                "bottom/right only (Darknet's rule; finn-plus stops on it, see the probes)"
            )
    hidden = [k for k in data.files if k.endswith("_weight") and data[k].dtype == np.int8]
    bits = sum(int(data[k].size) for k in hidden)  # binary: one bit per weight
    capacity = bram36 * BRAM36_BITS
    if bits > capacity:
        reasons.append(
            f"binary weights of {len(hidden)} hidden convs = {bits / 1e6:.2f} Mbit > "
            f"{capacity / 1e6:.2f} Mbit of BRAM ({bram36} BRAM36): FINN's weight modes keep "
            "them on chip or stream the whole matrix again for every output pixel"
        )
    return reasons
