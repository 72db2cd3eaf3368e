"""The build reads its images (calibration, accuracy data) with the decoder the model wants:
stb_image for Darknet models unless --decoder says otherwise; a bad choice is one line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from qnnflow.data.reader import DetectionDataset
from qnnflow.data.scene import SceneConfig
from qnnflow.data.writer import generate_dataset
from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig, build_decoder, preferred_decoder
from qnnflow.quant.calib_images import load_calibration_batch
from qnnflow.yolo.image import load_image
from qnnflow.yolo.letterbox import network_input
from qnnflow.yolo.stb_decoder import DecoderUnavailable, stb_library


@pytest.fixture
def stb():
    try:
        return stb_library()
    except DecoderUnavailable as exc:
        pytest.skip(f"no Darknet decoding here: {exc}")


def _jpegs(folder, count: int = 2):
    folder.mkdir()
    rng = np.random.default_rng(11)
    for i in range(count):
        pixels = rng.integers(0, 256, size=(40, 56, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.jpg", quality=80)
    return folder


def test_an_unknown_decoder_is_refused(default_cfg):
    with pytest.raises(QnnflowError, match="image decoder must be one of darknet, pillow"):
        BuildConfig(model=default_cfg, decoder="opencv")


def test_darknet_models_prefer_stb_image_unless_told(default_cfg, stb):
    from qnnflow.frontend.darknet import import_darknet

    model = import_darknet(default_cfg, default_cfg.with_suffix(".weights"))
    assert preferred_decoder(BuildConfig(model=default_cfg), model) == "darknet"
    assert build_decoder(BuildConfig(model=default_cfg), model) == "darknet"
    told = BuildConfig(model=default_cfg, decoder="pillow")
    assert preferred_decoder(told, model) == build_decoder(told, model) == "pillow"


def test_calibration_batch_uses_the_decoder(tmp_path, stb):
    folder = _jpegs(tmp_path / "calib")
    darknet = load_calibration_batch(folder, 32, 32, decoder="darknet")
    pillow = load_calibration_batch(folder, 32, 32, decoder="pillow")
    first = sorted(folder.iterdir())[0]
    np.testing.assert_array_equal(darknet[0], network_input(load_image(first, "darknet"), 32, 32))
    assert not np.array_equal(darknet[0], pillow[0])  # JPEG: the decoders differ


def test_accuracy_dataset_uses_the_decoder(tmp_path, stb):
    generate_dataset(tmp_path / "d", 3, {"test": 1}, SceneConfig(width=64, height=48))
    item = DetectionDataset(tmp_path / "d", "test", decoder="darknet")[0]
    np.testing.assert_array_equal(item.image, load_image(item.path, "darknet"))
