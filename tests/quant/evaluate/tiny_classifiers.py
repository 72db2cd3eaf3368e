"""A three-class colour classifier small enough to build in a test: it scores each channel
by its mean (Reshape [1, -1] -> MatMul), so an image whose red channel dominates is class 0.
Variants: QONNX (a qonnx Quant on the input), QCDQ (QuantizeLinear / DequantizeLinear), a
damaged copy (score columns rolled: every prediction wrong) and one whose Reshape does not
lead with the batch (qonnx's batch rewrite breaks it). Images: DIR/<class>/<n>.png."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.util.graph_builder import GraphBuilder

SIZE = 8
CLASSES = ("red", "green", "blue")
QONNX_DOMAIN = "qonnx.custom_op.general"


def _weights(roll: int = 0, interleaved: bool = False) -> np.ndarray:
    """Row r scores channel r // 64 (planar order) or r % 3 (pixel-interleaved order)."""
    rows = np.arange(3 * SIZE * SIZE)
    channel = rows % 3 if interleaved else rows // SIZE**2
    weights = np.zeros((rows.size, 3), dtype=np.float32)
    weights[rows, channel] = 1 / SIZE**2
    return np.roll(weights, roll, axis=1)


def colour_classifier(kind: str = "float", roll: int = 0) -> ModelWrapper:
    """kind: float, qonnx, qcdq or split_reshape ([3, 64] -> Transpose -> [1, 192]: the
    first Reshape does not lead with the batch)."""
    g = GraphBuilder()
    x = g.add_input("image", [1, 3, SIZE, SIZE])
    domains: tuple[str, ...] = ()
    if kind == "qonnx":
        x = g.node(
            "Quant",
            [x, g.const("scale", 1 / 15), g.const("zp", 0.0), g.const("bits", 4.0)],
            "quant",
            domain=QONNX_DOMAIN,
            signed=0,
            narrow=0,
            rounding_mode="ROUND",
        )
        domains = (QONNX_DOMAIN,)
    elif kind == "qcdq":
        scale, zero = g.const("scale", 1 / 255), g.const("zp", 0, dtype=np.uint8)
        x = g.node("QuantizeLinear", [x, scale, zero], "q")
        x = g.node("DequantizeLinear", [x, scale, zero], "dq")
    split = kind == "split_reshape"
    if split:
        x = g.node("Reshape", [x, g.const("per_channel", [3, -1], np.int64)], "per_channel")
        x = g.node("Transpose", [x], "pixel_major", perm=[1, 0])
    flat = g.node("Reshape", [x, g.const("flat_shape", [1, -1], np.int64)], "flat")
    scores = g.node("MatMul", [flat, g.const("weights", _weights(roll, split))], "scores")
    return ModelWrapper(g.finish([(scores, [1, 3])], f"colour_{kind}", domains))


def save(model: ModelWrapper, path: Path) -> Path:
    model.save(str(path))
    return path


def colour_images(root: Path, per_class: int = 4, seed: int = 0, size=(10, 12)) -> Path:
    """Noisy images whose class channel is brighter, `size` = (height, width)."""
    rng = np.random.default_rng(seed)
    for label, name in enumerate(CLASSES):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(per_class):
            pixels = rng.integers(0, 100, size=(*size, 3))
            pixels[:, :, label] += 120
            Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{n}.png")
    (root / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    return root
