"""A float model with nothing the W1A3 quantizer takes stops at the quantize step with one
line saying what to do, instead of passing through to fail later; quantized models pass."""

from __future__ import annotations

import pytest

from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig, run_build
from qnnflow.flow.quant_steps import is_quantized, step_quantize
from qnnflow.frontend.darknet import load_network, write_weights
from qnnflow.frontend.darknet.random_init import random_weights
from tests.flow.micro import MICRO_CFG, micro_model
from tests.transforms.to_hw.host_graphs import float_gemm


def test_float_darknet_without_binary_layers_is_told_to_mark_them(tmp_path):
    cfg_path = tmp_path / "float.cfg"
    cfg_path.write_text(MICRO_CFG.replace("binary=1\n", ""))
    network = load_network(cfg_path)
    write_weights(tmp_path / "float.weights", random_weights(network, seed=0), network)
    cfg = BuildConfig(model=cfg_path, output_root=tmp_path / "out", to_step="quantize")
    with pytest.raises(QnnflowError) as error:
        run_build(cfg)
    message = str(error.value)
    assert message.startswith(f"step 'quantize': {cfg_path}: a float Darknet model with no ")
    assert "mark its hidden [convolutional] sections binary=1" in message
    assert "\n" not in message


def test_binary_darknet_is_quantized_and_qonnx_passes_as_is(tmp_path):
    model_path = micro_model(tmp_path / "micro")
    result = run_build(BuildConfig(model=model_path, output_root=tmp_path, to_step="quantize"))
    assert is_quantized(result.model)  # W1A3 ran: BipolarQuant/Quant nodes
    cfg = BuildConfig(model=model_path, output_root=tmp_path / "again")
    assert step_quantize(result.model, cfg) is result.model
    integer = float_gemm()  # MultiThreshold quantizer: already quantized
    assert step_quantize(integer, cfg) is integer
