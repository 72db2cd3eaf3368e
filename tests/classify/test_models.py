"""The benchmark nets trace with torch.fx (what Brevitas' graph PTQ walks) and export to a
float ONNX whose onnxruntime output equals the torch forward."""

from __future__ import annotations

import onnx
import onnxruntime as ort
import pytest
import torch

from qnnflow.classify.artifacts import ONNX_OPSET, onnx_bytes, state_dict_bytes
from qnnflow.classify.models import SmallCNN, SmallResNet, build_model, model_def
from qnnflow.errors import QnnflowError

CASES = [("small-cnn", 1, 10), ("small-cnn", 3, 4), ("small-resnet", 3, 4), ("small-resnet", 1, 10)]


def _model(arch: str, channels: int, classes: int) -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_model(arch, channels, classes, (32, 32))
    with torch.no_grad():  # non-trivial batch-norm statistics, as after training
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.mark.parametrize(("arch", "channels", "classes"), CASES)
def test_fx_trace_keeps_the_layers_and_the_result(arch, channels, classes):
    model = _model(arch, channels, classes)
    traced = torch.fx.symbolic_trace(model)
    x = torch.randn(3, channels, 32, 32, generator=torch.Generator().manual_seed(1))
    assert torch.equal(traced(x), model(x))
    kinds = {type(m).__name__ for m in traced.modules()}
    assert {"Conv2d", "BatchNorm2d", "ReLU", "Linear"} <= kinds
    adds = [n for n in traced.graph.nodes if n.op == "call_function" and n.target is torch.add]
    assert len(adds) == (3 if arch == "small-resnet" else 0)  # one residual add per block


@pytest.mark.parametrize(("arch", "channels", "classes"), CASES[::2])
def test_onnx_export_equals_torch(arch, channels, classes):
    model = _model(arch, channels, classes)
    graph = onnx.load_from_string(onnx_bytes(model, (1, channels, 32, 32)))
    onnx.checker.check_model(graph)
    assert graph.opset_import[0].version == ONNX_OPSET
    dims = [d.dim_value for d in graph.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, channels, 32, 32]
    ops = {n.op_type for n in graph.graph.node}
    assert ("Add" in ops) == (arch == "small-resnet") and "Conv" in ops and "Gemm" in ops
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(2)
    for _ in range(4):
        x = torch.randn(1, channels, 32, 32, generator=generator)
        (got,) = session.run(None, {"input": x.numpy()})
        with torch.no_grad():
            expected = model(x).numpy()
        assert abs(got - expected).max() <= 1e-4 * max(1.0, abs(expected).max())


def test_sizes_defaults_and_bytes():
    cnn, resnet = SmallCNN(), SmallResNet()
    assert 50_000 <= sum(p.numel() for p in cnn.parameters()) <= 200_000
    assert 50_000 <= sum(p.numel() for p in resnet.parameters()) <= 200_000
    assert cnn(torch.zeros(2, 1, 32, 32)).shape == (2, 10)  # the committed digits model
    assert resnet(torch.zeros(2, 3, 32, 32)).shape == (2, 4)  # the committed shapes model
    assert model_def("small-resnet") == "qnnflow.classify.models:SmallResNet"
    assert state_dict_bytes(_model("small-cnn", 1, 10)) == state_dict_bytes(
        _model("small-cnn", 1, 10)
    )


def test_bad_architecture_and_size():
    with pytest.raises(QnnflowError, match="unknown architecture 'vgg'"):
        build_model("vgg", 3, 4, (32, 32))
    with pytest.raises(QnnflowError, match="divisible by 8"):
        SmallCNN(input_size=(30, 32))
