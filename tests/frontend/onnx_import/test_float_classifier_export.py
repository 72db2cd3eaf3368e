"""A float classifier (Conv2d, BatchNorm2d, ReLU, MaxPool2d, Linear) exported by torch 2's
TorchScript exporter and by its default dynamo exporter, with a symbolic batch: import gives
every tensor a static shape (verify passes), and the build stops at quantize with what to
do instead. Other symbolic dims and training-mode exports are refused at import."""

from __future__ import annotations

import json

import pytest

from qnnflow.cli import main

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.usefixtures("restore_logging"),  # tests/conftest.py
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning"),
]


class Classifier(torch.nn.Module):
    """x.view(x.size(0), -1) under a symbolic batch exports as Shape -> Gather -> Reshape."""

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, padding=1),
            torch.nn.BatchNorm2d(8),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
        )
        self.dropout = torch.nn.Dropout(0.5)
        self.fc = torch.nn.Linear(8 * 8 * 8, 10)

    def forward(self, x):
        y = self.features(x)
        return self.fc(self.dropout(y.view(y.size(0), -1)))


def _export(path, exporter: str, dynamic: dict | None, train: bool = False) -> None:
    torch.manual_seed(0)
    net = Classifier().train(train)
    x = torch.rand(1, 3, 16, 16)
    if exporter == "dynamo":
        shapes = {"x": {axis: torch.export.Dim(name) for axis, name in (dynamic or {}).items()}}
        torch.onnx.export(net, (x,), str(path), input_names=["x"], dynamic_shapes=shapes)
        return
    mode = torch.onnx.TrainingMode.TRAINING if train else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(
        net,
        x,
        str(path),
        dynamo=False,
        input_names=["x"],
        output_names=["y"],
        dynamic_axes={"x": dynamic} if dynamic else None,
        training=mode,
    )


def _build(path, tmp_path, capsys, *extra: str) -> tuple[int, str]:
    args = ["build", "--model", str(path), "--out", str(tmp_path / "out"), *extra]
    code = main(args)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_float_classifier_verifies_then_stops_at_quantize(exporter, tmp_path, capsys):
    path = tmp_path / f"{exporter}.onnx"
    _export(path, exporter, {0: "batch"})
    code, err = _build(path, tmp_path, capsys, "--to-step", "verify")
    assert code == 0, err
    report = json.loads((tmp_path / "out" / exporter / "verify" / "verify.json").read_text())
    assert report["passed"] and report["max_relative_error"]
    code, err = _build(path, tmp_path, capsys, "--to-step", "quantize")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: step 'quantize': {path}: a float model with no quantizers")
    for hint in ("quantize it with Brevitas", "brevitas.export.export_qonnx", "(issue 12)"):
        assert hint in err
    assert not list((tmp_path / "out" / exporter).glob("*_quantize.onnx"))


@pytest.mark.parametrize(
    ("dynamic", "message"),
    [
        ({0: "N", 1: "C"}, "input 'x' has dynamic dims [N, C, 16, 16]: axis 1 ('C') is not fixed"),
        ({0: "N", 2: "H"}, "axis 2 ('H') is not fixed (give --input-size HxW)"),
    ],
)
def test_other_symbolic_dims_are_named(dynamic, message, tmp_path, capsys):
    path = tmp_path / "dims.onnx"
    _export(path, "torchscript", dynamic)
    code, err = _build(path, tmp_path, capsys, "--to-step", "import")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_training_mode_export_is_refused(tmp_path, capsys):
    path = tmp_path / "train.onnx"
    _export(path, "torchscript", None, train=True)
    code, err = _build(path, tmp_path, capsys, "--to-step", "import")
    assert code == 2
    assert "(BatchNormalization) has training_mode=1 (the graph was exported in training" in err
    assert "export the model after model.eval()" in err
