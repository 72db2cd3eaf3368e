"""Write the default model's calibration images (data/models/tinier-yolo-mini-calib/): the
first N training images of the seeded shapes dataset the model was trained on (seed 0, the
same images `qnnflow make-dataset` writes). Usage: python flows/make_default_calibration.py
[OUT] [N]"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from qnnflow.data.writer import generate_dataset

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "data" / "models" / "tinier-yolo-mini-calib"
SEED = 0


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "shapes"
        generate_dataset(data, SEED, counts={"train": count, "val": 0, "test": 0})
        images = sorted((data / "images" / "train").iterdir())
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.jpg"):
            old.unlink()
        for image in images:
            shutil.copy2(image, out / image.name)
    print(f"wrote {len(images)} calibration images to {out}")


if __name__ == "__main__":
    main()
