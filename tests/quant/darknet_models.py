"""Darknet detectors with seeded random weights at small sizes, for W1A3 tests: Darknet's own
yolov2-tiny / yolov3-tiny cfgs, and a small net whose linear hidden convs use every signed
code (a leaky ReLU's negative half rarely reaches code -1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.frontend.darknet.cfg_reader import parse_cfg_text
from qnnflow.frontend.darknet.parse_network import build_network, load_network
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.frontend.darknet.to_onnx import network_to_onnx

CFGS = Path(__file__).resolve().parents[1] / "frontend" / "darknet" / "cfgs"

_CONV = "[convolutional]\nbatch_normalize=1\nfilters={}\nsize={}\nstride=1\npad=1\nactivation={}\n"
SIGNED_CFG = (
    "[net]\nwidth=16\nheight=16\nchannels=3\n"
    + _CONV.format(8, 3, "leaky")
    + "[maxpool]\nsize=2\nstride=2\n"
    + _CONV.format(16, 3, "linear")
    + "[maxpool]\nsize=2\nstride=1\n"
    + _CONV.format(16, 3, "linear")
    + "[maxpool]\nsize=2\nstride=2\n"
    + _CONV.format(16, 1, "leaky")
    + "[convolutional]\nfilters=12\nsize=1\nstride=1\npad=1\nactivation=linear\n"
    + "[region]\nanchors = 1.0,1.0, 2.0,2.0\nclasses=1\ncoords=4\nnum=2\nsoftmax=1\n"
)


def _model(network, seed: int) -> ModelWrapper:
    model = ModelWrapper(network_to_onnx(network, random_weights(network, seed)))
    return model.transform(InferShapes())


def yolo_model(name: str, size: int, seed: int = 0) -> ModelWrapper:
    """`<name>.cfg` from Darknet (e.g. yolov2-tiny) at size x size, random weights."""
    return _model(load_network(CFGS / f"{name}.cfg", (size, size)), seed)


def cfg_model(text: str, name: str = "test.cfg", seed: int = 0) -> ModelWrapper:
    return _model(build_network(parse_cfg_text(text, name)), seed)


def images(n: int, size: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.random((1, 3, size, size), dtype=np.float32) for _ in range(n)]
