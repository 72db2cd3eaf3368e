"""The embedded default model: its weights are the ones the training record describes
(flows/train_default.py on the seeded shapes dataset), and its calibration images are what
flows/make_default_calibration.py generates, byte for byte."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from qnnflow.frontend.darknet import import_darknet
from tests.conftest import REPO_ROOT

MODELS = REPO_ROOT / "data" / "models"


def test_default_weights_match_their_training_record(default_cfg):
    record = json.loads((MODELS / "tinier-yolo-mini.train.json").read_text())
    weights = default_cfg.with_suffix(".weights")
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == record["weights_sha256"]
    assert {"float", "w1a3"} <= set(record["map50"])  # measured, see the README
    model = import_darknet(default_cfg, weights)
    assert model.get_tensor_shape(model.graph.input[0].name) == [1, 3, 224, 224]


def test_default_calibration_images_regenerate_identically(tmp_path):
    calib = MODELS / "tinier-yolo-mini-calib"
    script = REPO_ROOT / "flows" / "make_default_calibration.py"
    subprocess.run([sys.executable, str(script), str(tmp_path), "20"], check=True)
    committed = sorted(p.name for p in calib.iterdir())
    assert committed == sorted(p.name for p in tmp_path.iterdir()) and len(committed) == 20
    assert all((calib / n).read_bytes() == (tmp_path / n).read_bytes() for n in committed)
