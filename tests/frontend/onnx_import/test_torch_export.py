"""A float CNN exported by torch.onnx.export (TorchScript exporter, no value_info, optionally a
symbolic batch) builds through import, tidy and verify: it used to stop with "internal error:
Exception: Found unspecified tensor shapes"."""

from __future__ import annotations

import json

import pytest

from qnnflow.cli import main

torch = pytest.importorskip("torch")


pytestmark = pytest.mark.usefixtures("restore_logging")  # tests/conftest.py


class SmallCnn(torch.nn.Module):
    """conv-bn-relu-pool-conv: the layer types a detector's float front end has."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.conv2(torch.nn.functional.max_pool2d(torch.relu(self.bn(self.conv1(x))), 2))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(("opset", "dynamic_batch"), [(13, False), (17, True)])
def test_torch_export_builds_through_verify(opset, dynamic_batch, tmp_path, capsys):
    torch.manual_seed(0)
    net = SmallCnn().eval()
    path = tmp_path / f"torch{opset}.onnx"
    axes = {"x": {0: "N"}, "y": {0: "N"}} if dynamic_batch else None
    torch.onnx.export(
        net,
        torch.rand(1, 3, 16, 16),
        str(path),
        dynamo=False,
        opset_version=opset,
        input_names=["x"],
        output_names=["y"],
        dynamic_axes=axes,
    )
    out = tmp_path / "out"
    code = main(["build", "--model", str(path), "--out", str(out), "--to-step", "verify"])
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / path.stem / "verify" / "verify.json").read_text())
    assert report["passed"] and report["max_relative_error"]  # something was compared
    assert all(v < 1e-4 for v in report["max_relative_error"].values())
