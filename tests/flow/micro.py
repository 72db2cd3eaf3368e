"""A micro detector with the default model's layer kinds (float first conv, binary 3-bit
convs, max-pools 2/2 and 2/1, 1x1 head, region layer) at 32x32: every file kind of a full
build in a few seconds of steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from qnnflow.flow import BuildConfig
from qnnflow.frontend.darknet import load_network, write_weights
from qnnflow.frontend.darknet.random_init import random_weights

MICRO_CFG = """[net]
width=32
height=32
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=2
pad=1
activation=relu

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
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=relu
binary=1

[maxpool]
size=2
stride=1

[convolutional]
size=1
stride=1
pad=1
filters=7
activation=linear

[region]
anchors = 1.0,1.0
classes=2
coords=4
num=1
softmax=1
"""


def micro_model(folder: Path, text: str = MICRO_CFG, name: str = "micro") -> Path:
    """<name>.cfg (`text`) + <name>.weights (seeded random) and <name>-calib/ (3 seeded
    images)."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / f"{name}.cfg"
    cfg.write_text(text)
    network = load_network(cfg)
    write_weights(folder / f"{name}.weights", random_weights(network, seed=0), network)
    calib = folder / f"{name}-calib"
    calib.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        pixels = rng.integers(0, 256, size=(24, 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(calib / f"{i}.png")
    return cfg


def micro_config(model: Path, output_root: Path, **kw) -> BuildConfig:
    return BuildConfig(model=model, output_root=output_root, **kw)
