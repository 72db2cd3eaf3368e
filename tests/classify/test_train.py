"""Seeded training is deterministic (two runs, identical weights), preprocessing is the
recorded arithmetic, and `qnnflow train-classifier` writes weights, ONNX and record."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch
from click.testing import CliRunner

from qnnflow.classify.folder import make_classification_dataset, read_split
from qnnflow.classify.models import SmallResNet
from qnnflow.classify.train import (
    TrainConfig,
    _augment,
    channel_stats,
    normalise,
    train_classifier,
)
from qnnflow.commands.train_classifier import train_classifier_cmd
from qnnflow.errors import QnnflowError


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny") / "shapes"
    make_classification_dataset(root, "shapes", 0, (32, 32), {"train": 24, "val": 0, "test": 8})
    return root


def _weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("arch", ["small-cnn", "small-resnet"])
def test_two_runs_give_identical_weights(tiny, arch):
    cfg = TrainConfig(arch=arch, epochs=1, batch_size=8, augment="shift-flip", seed=3)
    first = train_classifier(tiny, cfg)
    second = train_classifier(tiny, cfg)
    a, b = _weights(first.model), _weights(second.model)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert first.record["loss_per_epoch"] == second.record["loss_per_epoch"]
    assert first.record["accuracy"] == second.record["accuracy"]
    other = train_classifier(tiny, TrainConfig(arch=arch, epochs=1, batch_size=8, seed=4))
    assert not all(torch.equal(a[k], v) for k, v in _weights(other.model).items())
    assert not torch.are_deterministic_algorithms_enabled()  # the global flag is restored


def test_record_describes_the_run(tiny):
    cfg = TrainConfig(arch="small-resnet", epochs=2, batch_size=8, limit=16)
    record = train_classifier(tiny, cfg).record
    assert record["train_config"]["limit"] == 16 and record["train_config"]["epochs"] == 2
    assert record["accuracy"]["train"]["images"] == 16
    assert record["accuracy"]["test"]["images"] == 8 and "val" not in record["accuracy"]
    pre = record["preprocessing"]
    assert pre["input_size"] == [32, 32] and pre["channels"] == "rgb" and len(pre["mean"]) == 3
    train, _ = read_split(tiny, "train")
    keep = np.sort(np.random.default_rng(0).permutation(24)[:16])  # the documented subset
    assert (pre["mean"], pre["std"]) == channel_stats(train.images[keep])
    assert len(set(train.labels[keep])) == 4  # not the first folders only
    assert record["classes"] == ["circle", "ellipse", "rectangle", "triangle"]
    assert record["torch"] == torch.__version__ and len(record["loss_per_epoch"]) == 2


def test_normalise_is_the_recorded_arithmetic():
    pixels = np.array([[[[0, 255, 51]], [[102, 0, 255]]]], dtype=np.uint8)  # (1, 2, 1, 3)
    mean, std = [0.5, 0.25, 0.0], [0.5, 0.25, 2.0]
    x = normalise(pixels, mean, std).numpy()
    assert x.shape == (1, 3, 2, 1) and x.dtype == np.float32
    expected = (pixels.astype(np.float32) / 255 - np.float32(mean)) / np.float32(std)
    assert np.array_equal(x, expected.transpose(0, 3, 1, 2))
    assert x[0, 0, 0, 0] == -1.0 and x[0, 1, 0, 0] == 3.0
    mean, std = channel_stats(np.array([[[[0]], [[255]]]], dtype=np.uint8))
    assert mean == [0.5] and std == [0.5]


def test_augment_shifts_within_two_pixels_and_flips():
    batch = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6)
    generator = torch.Generator().manual_seed(0)
    assert torch.equal(_augment(batch, "none", generator), batch)
    for mode in ("shift", "shift-flip"):
        out = _augment(batch, mode, generator)
        assert out.shape == batch.shape
        for image, source in zip(out, batch, strict=True):
            centre = image[0, 2:4, 2:4]  # always from the image, never from the padding
            candidates = [source[0].flip(1), source[0]] if mode == "shift-flip" else [source[0]]
            assert any(
                torch.equal(centre, c[2 + dy : 4 + dy, 2 + dx : 4 + dx])
                for c in candidates
                for dy in range(-2, 3)
                for dx in range(-2, 3)
            )


def test_bad_config():
    with pytest.raises(QnnflowError, match="optimizer"):
        TrainConfig(optimizer="lbfgs").check()
    with pytest.raises(QnnflowError, match="epochs >= 1"):
        TrainConfig(epochs=0).check()
    with pytest.raises(QnnflowError, match="augment"):
        TrainConfig(augment="rotate").check()


def test_cli_writes_weights_onnx_and_record(tiny, tmp_path):
    args = ["--data", str(tiny), "--arch", "small-resnet", "--epochs", "1", "--batch", "12"]
    result = CliRunner().invoke(train_classifier_cmd, [*args, "-o", str(tmp_path), "--name", "r"])
    assert result.exit_code == 0, result.output
    assert "trained r (77652 parameters)" in result.output
    record = json.loads((tmp_path / "r.train.json").read_text())
    assert record["dataset"]["source"] == "shapes" and record["dataset"]["images"]["test"] == 8
    assert record["model_def"] == "qnnflow.classify.models:SmallResNet"
    assert record["files"]["weights"]["file"] == "r.pth"
    model = SmallResNet()
    model.load_state_dict(torch.load(tmp_path / "r.pth", weights_only=True))
    model.eval()
    test, _ = read_split(tiny, "test")
    pre = record["preprocessing"]
    x = normalise(test.images, pre["mean"], pre["std"])
    session = ort.InferenceSession(str(tmp_path / "r.onnx"), providers=["CPUExecutionProvider"])
    got = np.concatenate([session.run(None, {"input": x[i : i + 1].numpy()})[0] for i in range(8)])
    with torch.no_grad():
        assert np.allclose(got, model(x).numpy(), atol=1e-4)
    correct = int((got.argmax(1) == test.labels).sum())
    assert correct == record["accuracy"]["test"]["correct"]
