"""Float ONNX models we did not write (shipped with qonnx: the ONNX model zoo's MNIST CNN,
an old-opset export with Reshape'd weights and MatMul + Add, and two ESPCN super-resolution
nets, nearest resize and DepthToSpace sub-pixel) load, equal onnxruntime and quantize."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import qonnx
import torch
from brevitas import nn as qnn
from brevitas.graph.quantize import preprocess_for_quantize, quantize
from torch import nn

from qnnflow.quant.ptq.load import load_float_model
from tests.quant.ptq.compare import max_diff, onnxruntime_outputs, outputs

QONNX_DATA = Path(qonnx.__file__).parent / "data" / "onnx"
MODELS = {  # path: (conv + linear layers, quantize too: upsampling is covered elsewhere)
    "mnist-conv/model.onnx": (3, True),
    "bsd300x3-espcn/nn_resize/float_model.onnx": (4, False),
    "bsd300x3-espcn/subpixel/float_model.onnx": (4, True),
}


@pytest.mark.parametrize("relative", sorted(MODELS))
def test_foreign_float_onnx(relative):
    path = QONNX_DATA / relative
    if not path.is_file():
        pytest.skip(f"{path} is not shipped with this qonnx")
    fm = load_float_model(path)
    x = np.random.default_rng(2).uniform(0, 1, fm.input_shape).astype(np.float32)
    assert max_diff(outputs(fm.module, x), onnxruntime_outputs(path, x)) <= 1e-5
    layers = {n for n, m in fm.module.named_children() if isinstance(m, (nn.Conv2d, nn.Linear))}
    count, check_quantize = MODELS[relative]
    assert len(layers) == count
    if not check_quantize:
        return
    qmodel = quantize(preprocess_for_quantize(fm.module))
    quantized = {
        n for n, m in qmodel.named_children() if isinstance(m, (qnn.QuantConv2d, qnn.QuantLinear))
    }
    assert quantized == layers
    with torch.no_grad():
        qmodel(torch.from_numpy(x))
