"""The default model's published numbers are the committed training record's: the README's
mAP@0.5 (float, W1A3 after QAT, the drop) match tinier-yolo-mini.train.json, the record
describes the committed files (sha256), and (slow) scoring the committed models on the seeded
200-image test split reproduces the record exactly."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from tests.conftest import REPO_ROOT

MODELS = REPO_ROOT / "data" / "models"
RECORD = MODELS / "tinier-yolo-mini.train.json"
README = REPO_ROOT / "README.md"

# every place the README states the default model's mAP, as (pattern, record key)
CLAIMS = [
    (r"\*\*(\d+\.\d+) \(float model", "float"),
    (r"float (\d+\.\d+), W1A3", "float"),
    (r"and (\d+\.\d+) \(W1A3 after", "w1a3"),
    (r"W1A3 \(QAT, \d+ epochs\) (\d+\.\d+)", "w1a3"),
    (r"a drop of (\d+\.\d+) points", "drop"),
    (r"\(\*\*drop (\d+\.\d+) points", "drop"),
]


@pytest.fixture(scope="module")
def record() -> dict:
    return json.loads(RECORD.read_text())


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_record_describes_the_committed_files(record):
    assert _sha256(MODELS / record["float"]["weights_file"]) == record["float"]["weights_sha256"]
    assert _sha256(MODELS / "tinier-yolo-mini.weights") == record["weights_sha256"]
    assert (MODELS / record["w1a3_qat"]["qonnx"]).is_file()
    assert record["map50"]["split"] == "test" and record["map50"]["images"] == 200


@pytest.mark.parametrize(("pattern", "key"), CLAIMS)
def test_readme_map_numbers_are_the_records(record, pattern, key):
    scores = record["map50"]
    expected = {"float": scores["float"], "w1a3": scores["w1a3"]}
    expected["drop"] = round(scores["float"] - scores["w1a3"], 2)
    found = [float(v) for v in re.findall(pattern, README.read_text())]
    assert found, f"README no longer states the {key} mAP as /{pattern}/"
    assert found == [expected[key]] * len(found)


def test_readme_names_the_records_qat_epochs(record):
    epochs = record["w1a3_qat"]["epochs"]
    stated = {int(n) for n in re.findall(r"(\d+) QAT\s+epochs", README.read_text())}
    stated |= {int(n) for n in re.findall(r"QAT, (\d+) epochs", README.read_text())}
    assert epochs in stated


@pytest.mark.slow
def test_committed_models_reproduce_the_recorded_map(record, tmp_path):
    """200 images at 224x224 through both models (make test-slow)."""
    from qnnflow.data.scene import SceneConfig
    from qnnflow.data.writer import generate_dataset
    from qnnflow.frontend.darknet import import_darknet
    from qnnflow.quant.accuracy_gate import compare_models

    data = record["dataset"]
    size = data["size"]
    scene = SceneConfig(width=size, height=size)
    generate_dataset(tmp_path / "data", data["seed"], {"test": data["test"]}, scene, "jpg")
    float_model = tmp_path / "float.onnx"
    cfg = MODELS / "tinier-yolo-mini.cfg"
    import_darknet(cfg, MODELS / record["float"]["weights_file"]).save(str(float_model))
    result = compare_models(
        float_model, MODELS / record["w1a3_qat"]["qonnx"], tmp_path / "data", split="test"
    )
    assert round(100 * result.float_score.result.mean_ap, 2) == record["map50"]["float"]
    assert round(100 * result.quant_score.result.mean_ap, 2) == record["map50"]["w1a3"]
