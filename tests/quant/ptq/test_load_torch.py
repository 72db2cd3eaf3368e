"""PyTorch inputs: a state dict + its model class (module path or model.py file), a checkpoint
or pickled module, and TorchScript; each GraphModule computes what the torch model does."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch
from brevitas import nn as qnn
from brevitas.graph.quantize import preprocess_for_quantize, quantize
from torch import nn

from qnnflow.quant.ptq.load import load_float_model
from tests.quant.ptq.compare import max_diff, outputs
from tests.quant.ptq.float_nets import make_net

NETS_MODULE = "tests.quant.ptq.float_nets"
MODEL_PY = textwrap.dedent(
    """
    import torch
    from torch import nn


    class Mlp(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(12, 16)
            self.fc2 = nn.Linear(16, 4)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))


    class Gated(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)

        def forward(self, x):
            y = self.conv(x)
            if y.sum() > 0:
                return y
            return -y


    class NeedsArgs(nn.Module):
        def __init__(self, width):
            super().__init__()
    """
)


def _same(fm, model: nn.Module, shape: tuple[int, ...], batch: int = 3) -> float:
    x = np.random.default_rng(5).standard_normal((batch, *shape[1:])).astype(np.float32)
    return max_diff(outputs(fm.module, x), outputs(model, x))


@pytest.fixture
def model_py(tmp_path):
    path = tmp_path / "defs" / "model.py"
    path.parent.mkdir()
    path.write_text(MODEL_PY)
    return path


def test_state_dict_with_module_class(tmp_path):
    model, shape = make_net("mini_resnet")
    torch.save(model.state_dict(), tmp_path / "resnet.pth")
    fm = load_float_model(
        tmp_path / "resnet.pth", model_def=f"{NETS_MODULE}:MiniResNet", input_size=(16, 16)
    )
    assert (fm.input_shape, fm.kind, fm.name) == ((1, 3, 16, 16), "state_dict", "resnet")
    assert _same(fm, model, shape) <= 1e-6
    float_layers = {
        n for n, m in fm.module.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))
    }
    assert "layer2.down.0" in float_layers  # the model's own qualified names
    qmodel = quantize(preprocess_for_quantize(fm.module))
    assert float_layers == {
        n for n, m in qmodel.named_modules() if isinstance(m, (qnn.QuantConv2d, qnn.QuantLinear))
    }


def test_model_py_file_and_linear_first_input(tmp_path, model_py):
    """Vitis AI's model.py habit; a model starting with a Linear needs no input size."""
    torch.manual_seed(0)
    spec = {}
    exec(compile(MODEL_PY, "model.py", "exec"), spec)  # the same class, for the reference
    reference = spec["Mlp"]().eval()
    checkpoint = {
        "epoch": 7,
        "state_dict": {f"module.{k}": v for k, v in reference.state_dict().items()},
    }
    torch.save(checkpoint, tmp_path / "mlp.pt")
    fm = load_float_model(tmp_path / "mlp.pt", model_def=f"{model_py}:Mlp")
    assert fm.input_shape == (1, 12)
    assert _same(fm, reference, fm.input_shape) <= 1e-6


def test_pickled_module_needs_its_class(tmp_path):
    model, shape = make_net("depthwise")
    torch.save(model, tmp_path / "full.pt")
    fm = load_float_model(
        tmp_path / "full.pt", model_def=f"{NETS_MODULE}:DepthwiseNet", input_size=(16, 16)
    )
    assert fm.kind == "pickled_module" and _same(fm, model, shape) <= 1e-6


@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_two_outputs(tmp_path, how):
    model, shape = make_net("two_heads")
    compiled = (
        torch.jit.script(model) if how == "script" else torch.jit.trace(model, torch.zeros(shape))
    )
    path = tmp_path / ("heads.pt" if how == "script" else "heads.ts")
    compiled.save(str(path))
    fm = load_float_model(path, input_size=(16, 16))
    assert fm.kind == "torchscript" and fm.input_shape == shape
    assert isinstance(fm.module, torch.fx.GraphModule)
    assert sum(isinstance(m, nn.Conv2d) for m in fm.module.modules()) == 5
    assert _same(fm, model, shape, batch=2) <= 1e-5
