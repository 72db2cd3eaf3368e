"""A deployment package as the package step lays it out (driver package, the demo notebook,
a few sample images), exported from the small folded model, for the notebook and
run_on_board tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.deploy.export import export_driver_package
from qnnflow.driver.notebook_helpers import IMAGES_DIR
from tests.conftest import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "qnnflow_demo.ipynb"
THRESH = 0.05  # the default model's random-ish weights give low scores


def make_deploy_package(model: ModelWrapper, out: Path, images: int = 2) -> Path:
    """Export `model` into `out` with the notebook and `images` random RGB PNGs in images/."""
    export_driver_package(model, out)
    shutil.copy2(NOTEBOOK, out / NOTEBOOK.name)
    folder = out / IMAGES_DIR
    folder.mkdir()
    rng = np.random.default_rng(7)
    for i in range(images):
        pixels = rng.integers(0, 256, size=(48, 80, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"sample{i}.png")
    return out
