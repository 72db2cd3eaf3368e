"""Tiny Darknet cfgs for the QAT tests (written to tmp folders)."""

from __future__ import annotations

from pathlib import Path

W1A3_CFG = """[net]
width=16
height=16
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=relu

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=relu
binary=1

[maxpool]
size=2
stride=1

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=relu
binary=1

[maxpool]
size=2
stride=2

[convolutional]
size=1
stride=1
pad=1
filters=14
activation=linear

[region]
anchors = 0.8,0.8, 2.0,1.5
classes=2
coords=4
num=2
softmax=1
"""

# route, upsample, shortcut and leaky: float scheme only
FLOAT_CFG = """[net]
width=16
height=16
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[shortcut]
from=-2
activation=linear

[maxpool]
size=2
stride=2

[upsample]
stride=2

[route]
layers=-1,-4

[convolutional]
size=1
stride=1
pad=1
filters=14
activation=linear

[region]
anchors = 0.8,0.8, 2.0,1.5
classes=2
coords=4
num=2
softmax=1
"""


def write_cfg(folder: Path, text: str, name: str = "tiny.cfg") -> Path:
    path = folder / name
    path.write_text(text)
    return path
