"""A micro two-head detector shaped like YOLOv3-tiny at 32x32: conv, maxpool, conv, maxpool,
conv -> fork -> head 1 (1x1 linear conv -> [yolo]) and route -> 1x1 conv -> upsample ->
route concat with an earlier layer -> conv -> head 2 (1x1 linear conv -> [yolo]). Seeded
random weights; built with the W1A3 scheme, every conv lands in hardware and the
accelerator has two output streams."""

from __future__ import annotations

from pathlib import Path

from qnnflow.flow import BuildConfig
from tests.flow.micro import micro_model

_CONV = """
[convolutional]
batch_normalize=1
filters={filters}
size={size}
stride=1
pad=1
activation=leaky
"""
_HEAD = """
[convolutional]
size=1
stride=1
pad=1
filters=21
activation=linear

[yolo]
mask = {mask}
anchors = 3,4, 6,8, 10,12, 14,16, 20,22, 28,30
classes=2
num=6
"""
_POOL = "\n[maxpool]\nsize=2\nstride=2\n"

TWO_HEADS_CFG = (
    "[net]\nwidth=32\nheight=32\nchannels=3\n"
    + _CONV.format(filters=8, size=3)  # 0
    + _POOL  # 1: 16x16
    + _CONV.format(filters=16, size=3)  # 2
    + _POOL  # 3: 8x8
    + _CONV.format(filters=32, size=3)  # 4: the fork
    + _HEAD.format(mask="3,4,5")  # 5, 6: head 1 at 8x8
    + "\n[route]\nlayers = -3\n"  # 7
    + _CONV.format(filters=16, size=1)  # 8
    + "\n[upsample]\nstride=2\n"  # 9: 16x16
    + "\n[route]\nlayers = -1, 2\n"  # 10: 16 + 16 channels
    + _CONV.format(filters=16, size=3)  # 11
    + _HEAD.format(mask="0,1,2")  # 12, 13: head 2 at 16x16
)


def two_heads_model(folder: Path) -> Path:
    """two_heads.cfg + .weights (seeded random) and two_heads-calib/ (3 seeded images)."""
    return micro_model(folder, TWO_HEADS_CFG, "two_heads")


def two_heads_config(model: Path, output_root: Path, **kw) -> BuildConfig:
    return BuildConfig(model=model, output_root=output_root, scheme="w1a3", **kw)
