"""Write the default model's calibration images (data/models/tinier-yolo-mini-calib/):
deterministic scenes of filled shapes on noisy gradient backgrounds, the kind of input the
default detector is meant for. Usage: python flows/make_default_calibration.py [OUT] [N]"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from qnnflow.util.atomic import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "data" / "models" / "tinier-yolo-mini-calib"
SIZE = 160
SEED = 2027


def scene(rng: np.random.Generator) -> Image.Image:
    top, bottom = rng.integers(0, 256, size=(2, 3))
    ramp = np.linspace(0.0, 1.0, SIZE)[:, None, None]
    background = top * (1 - ramp) + bottom * ramp + rng.normal(0, 12, (SIZE, SIZE, 3))
    image = Image.fromarray(np.clip(background, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.integers(1, 5)):
        w, h = rng.integers(SIZE // 10, SIZE // 2, size=2)
        x, y = rng.integers(0, SIZE - w), rng.integers(0, SIZE - h)
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        box = [int(x), int(y), int(x + w), int(y + h)]
        kind = rng.integers(0, 3)
        if kind == 0:
            draw.ellipse(box, fill=colour)
        elif kind == 1:
            draw.rectangle(box, fill=colour)
        else:
            draw.polygon(
                [(box[0], box[3]), ((box[0] + box[2]) // 2, box[1]), (box[2], box[3])], fill=colour
            )
    return image


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    count = int(argv[1]) if len(argv) > 1 else 20
    rng = np.random.default_rng(SEED)
    for i in range(count):
        buffer = io.BytesIO()
        scene(rng).save(buffer, format="JPEG", quality=90)
        atomic_write_bytes(out / f"{i:03d}.jpg", buffer.getvalue())
    print(f"wrote {count} images to {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
