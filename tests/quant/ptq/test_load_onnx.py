"""Float ONNX exported from torch -> GraphModule: equal to onnxruntime, any batch size,
standard torch layers that Brevitas' graph quantizer replaces."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from brevitas import nn as qnn
from brevitas.graph.quantize import preprocess_for_quantize, quantize
from torch import nn

from qnnflow.quant.ptq.load import load_float_model
from tests.quant.ptq.compare import max_diff, onnxruntime_outputs, outputs
from tests.quant.ptq.float_nets import NETS, export_onnx, make_net


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("float_onnx")
    cache = {}

    def get(name: str):
        if name not in cache:
            model, shape = make_net(name)
            cache[name] = (model, shape, export_onnx(model, shape, folder / f"{name}.onnx"))
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(NETS))
def test_graph_module_equals_onnxruntime(exported, name):
    model, shape, path = exported(name)
    fm = load_float_model(path)
    assert fm.input_shape == shape and fm.kind == "onnx" and fm.name == name
    assert isinstance(fm.module, torch.fx.GraphModule) and not fm.module.training
    rng = np.random.default_rng(1)
    for _ in range(2):
        x = rng.standard_normal(shape).astype(np.float32)
        assert max_diff(outputs(fm.module, x), onnxruntime_outputs(path, x)) <= 1e-5
    batch = rng.standard_normal((3, *shape[1:])).astype(np.float32)  # calibration batches
    assert max_diff(outputs(fm.module, batch), outputs(model, batch)) <= 1e-4
    layers = [m for m in fm.module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert layers and all(type(m) in (nn.Conv2d, nn.Linear) for m in layers)


def test_module_names_follow_onnx_node_names(exported):
    _, _, path = exported("mini_resnet")
    names = dict(load_float_model(path).module.named_children())
    assert "layer2_down_0_Conv" in names  # /layer2/down/down.0/Conv
    assert isinstance(names["fc_Gemm"], nn.Linear)
    assert isinstance(names["layer1_conv1_Conv"], nn.Conv2d)


def test_depthwise_conv_keeps_its_groups(exported):
    _, _, path = exported("depthwise")
    convs = [m for m in load_float_model(path).module.modules() if isinstance(m, nn.Conv2d)]
    assert sorted(c.groups for c in convs) == [1, 1, 12]


@pytest.mark.parametrize("name", ["mini_resnet", "two_heads", "token_mlp"])
def test_brevitas_quantizes_every_layer(exported, name):
    """Brevitas' passes need a graph traced by its own fx: the float module is retraced by
    preprocess_for_quantize, as the quantizer does, then every conv/linear is replaced."""
    _, shape, path = exported(name)
    fm = load_float_model(path)
    float_layers = {
        n for n, m in fm.module.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))
    }
    qmodel = quantize(preprocess_for_quantize(fm.module))
    quant_layers = {
        n for n, m in qmodel.named_modules() if isinstance(m, (qnn.QuantConv2d, qnn.QuantLinear))
    }
    assert quant_layers == float_layers
    with torch.no_grad():
        qmodel(torch.randn(2, *shape[1:]))
