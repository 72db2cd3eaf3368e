"""The committed benchmark classifiers (data/models/classifiers) are what their training
records say: the files' sha256, the architecture and preprocessing, and, on the test split
regenerated from the recorded seed, the recorded test top-1 exactly, from the state dict and
from the float ONNX. Slow: retraining from scratch reproduces the committed weights."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from qnnflow.classify.datasets import digits_splits, shapes_splits
from qnnflow.classify.models import build_model
from qnnflow.classify.train import normalise
from tests.conftest import REPO_ROOT

FOLDER = REPO_ROOT / "data" / "models" / "classifiers"
NAMES = ["small-cnn-digits", "small-resnet-shapes"]
MIN_TEST_TOP1 = {"small-cnn-digits": 95.0, "small-resnet-shapes": 85.0}


def _record(name: str) -> dict:
    return json.loads((FOLDER / f"{name}.train.json").read_text())


def _test_split(record: dict):
    data = record["dataset"]
    size = tuple(data["image_size"])
    if data["source"] == "digits":
        return digits_splits(data["seed"], size)["test"]
    counts = {"test": data["images"]["test"]}
    return shapes_splits(data["seed"], size, counts, data["plain"])["test"]


def _model(record: dict) -> torch.nn.Module:
    pre = record["preprocessing"]
    channels = 1 if pre["channels"] == "gray" else 3
    model = build_model(record["arch"], channels, len(record["classes"]), tuple(pre["input_size"]))
    state = torch.load(FOLDER / record["files"]["weights"]["file"], weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def test_the_folder_is_small_and_complete():
    files = sorted(p.name for p in FOLDER.iterdir())
    assert files == sorted(f"{n}{ext}" for n in NAMES for ext in (".onnx", ".pth", ".train.json"))
    assert sum((FOLDER / f).stat().st_size for f in files) < 5_000_000


@pytest.mark.parametrize("name", NAMES)
def test_record_describes_the_committed_files(name):
    record = _record(name)
    assert record["name"] == name
    for entry in record["files"].values():
        data = (FOLDER / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
    model = _model(record)
    assert sum(p.numel() for p in model.parameters()) == record["parameters"]
    assert record["accuracy"]["test"]["top1"] >= MIN_TEST_TOP1[name]
    assert (
        record["train_seconds"] < 600
        and record["torch"].split("+")[0] == torch.__version__.split("+")[0]
    )


@pytest.mark.parametrize("name", NAMES)
def test_committed_models_reach_the_recorded_test_top1(name):
    record = _record(name)
    split = _test_split(record)
    pre = record["preprocessing"]
    x = normalise(split.images, pre["mean"], pre["std"])
    with torch.no_grad():
        torch_pred = _model(record)(x).argmax(1).numpy()
    onnx_file = str(FOLDER / record["files"]["onnx"]["file"])
    session = ort.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])
    onnx_pred = np.array(
        [session.run(None, {"input": x[i : i + 1].numpy()})[0].argmax() for i in range(len(x))]
    )
    expected = record["accuracy"]["test"]
    assert len(split.labels) == expected["images"]
    assert int((torch_pred == split.labels).sum()) == expected["correct"]
    assert int((onnx_pred == split.labels).sum()) == expected["correct"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_retraining_reproduces_the_committed_weights(name, tmp_path):
    """Regenerate the dataset, train with the recorded options and thread count (make
    test-slow; minutes): the state dict is bit-identical to the committed one."""
    from qnnflow.classify.artifacts import state_dict_bytes
    from qnnflow.classify.folder import make_classification_dataset
    from qnnflow.classify.train import TrainConfig, train_classifier

    record = _record(name)
    data = record["dataset"]
    counts = None if data["source"] == "digits" else dict(data["images"])
    root = tmp_path / "data"
    make_classification_dataset(
        root, data["source"], data["seed"], tuple(data["image_size"]), counts, data["plain"]
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(record["torch_threads"])
    try:
        trained = train_classifier(root, TrainConfig(**record["train_config"]))
    finally:
        torch.set_num_threads(threads)
    weights = state_dict_bytes(trained.model)
    assert hashlib.sha256(weights).hexdigest() == record["files"]["weights"]["sha256"]
    assert trained.record["accuracy"] == record["accuracy"]
