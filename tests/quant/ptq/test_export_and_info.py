"""QCDQ in onnxruntime, deterministic exports, per-layer bits in the QONNX, quant_info, errors."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.export import export_qcdq, export_qonnx
from qnnflow.quant.ptq.mixed import LayerRule
from qnnflow.quant.ptq.options import PTQOptions
from qnnflow.quant.ptq.quant_info import quant_info
from qnnflow.quant.ptq.quantize import layer_names, quantize_float_model

from .nets import float_model, quantized


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("resnet", PTQOptions()),
        ("cnn", PTQOptions(weight_bits=4, act_bits=4, act_symmetric=False, bias_bits=16)),
        ("mlp", PTQOptions(weight_bits=2, act_bits=3, scale="po2", bias_bits=None)),
    ],
)
def test_qcdq_runs_in_onnxruntime_and_matches_brevitas(kind, options, tmp_path):
    fm, qmodule, data = quantized(kind, options)
    path = tmp_path / "q.onnx"
    model = export_qcdq(qmodule, fm.input_shape, path)
    assert {"QuantizeLinear", "DequantizeLinear"} <= {n.op_type for n in model.graph.node}
    x = torch.cat(data)
    with torch.no_grad():
        expected = qmodule(x).numpy()
    # onnxruntime's default optimizations fuse Q/DQ pairs into its own integer kernels, which
    # requantize differently; unfused, the graph computes exactly what Brevitas computes
    settings = ort.SessionOptions()
    settings.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), settings)
    name = session.get_inputs()[0].name
    got = np.concatenate(
        [session.run(None, {name: x[i : i + 1].numpy()})[0] for i in range(len(x))]
    )
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_qcdq_refuses_binary_quantizers_in_one_line(tmp_path):
    fm, qmodule, _ = quantized("mlp", PTQOptions(weight_bits=1, act_bits=3))
    with pytest.raises(QnnflowError, match="QCDQ.*1-bit") as err:
        export_qcdq(qmodule, fm.input_shape, tmp_path / "q.onnx")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "q.onnx").exists()


def test_exports_are_byte_identical(tmp_path):
    fm, qmodule, _ = quantized("resnet", PTQOptions(weight_bits=4, act_bits=4))
    for export in (export_qonnx, export_qcdq):
        first, second = tmp_path / "a.onnx", tmp_path / "b.onnx"
        export(qmodule, fm.input_shape, first)
        export(qmodule, fm.input_shape, second)
        assert first.read_bytes() == second.read_bytes()


def _quant_bits(model, tensor: str) -> int:
    producer = model.find_producer(tensor)
    assert producer is not None and producer.op_type == "Quant", tensor
    return int(model.get_initializer(producer.input[3]))


def test_mixed_rules_give_each_layer_its_bits_in_the_qonnx(tmp_path):
    rules = (LayerRule("conv1", None, None, True), LayerRule("conv2", 2, 3, False))
    fm, qmodule, _ = quantized("cnn", PTQOptions(weight_bits=4, act_bits=4, rules=rules))
    model = export_qonnx(qmodule, fm.input_shape, tmp_path / "m.onnx")
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    gemm = next(n for n in model.graph.node if n.op_type == "Gemm")
    # conv1 stays float: a float weight, and its ReLU output goes on unquantized
    assert model.get_initializer(convs[0].input[1]) is not None
    relu1 = model.find_consumer(convs[0].output[0])
    assert relu1.op_type == "Relu" and model.find_consumer(relu1.output[0]).op_type == "MaxPool"
    # conv2: 2-bit weights, a 4-bit input (requantized after the float part), 3-bit output
    assert _quant_bits(model, convs[1].input[1]) == 2
    assert _quant_bits(model, convs[1].input[0]) == 4
    relu2 = model.find_consumer(convs[1].output[0])
    assert model.find_consumer(relu2.output[0]).op_type == "Quant"
    assert int(model.get_initializer(model.find_consumer(relu2.output[0]).input[3])) == 3
    # fc keeps the scheme's 4-bit weights; the network input and output are 8 bits
    assert _quant_bits(model, gemm.input[1]) == 4
    assert _quant_bits(model, convs[0].input[0]) == 8
    assert _quant_bits(model, model.graph.output[0].name) == 8


def test_layer_names_and_mixed_errors():
    fm = float_model("resnet")
    assert layer_names(fm) == ["stem", "block_conv1", "block_conv2", "head"]
    with pytest.raises(QnnflowError, match=r"'blocks\.\*' matches no layer.*stem, block_conv1"):
        quantize_float_model(fm, PTQOptions(rules=(LayerRule("blocks.*", 4, 4, False),)))
    with pytest.raises(QnnflowError, match="1-bit activations cannot meet at an add"):
        quantize_float_model(fm, PTQOptions(weight_bits=1, act_bits=1))


def test_quantize_leaves_the_float_model_alone():
    fm = float_model("cnn")
    before = {k: v.clone() for k, v in fm.module.state_dict().items()}
    quantize_float_model(fm, PTQOptions(weight_bits=4, act_bits=4))
    after = fm.module.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_quant_info_lists_every_quantized_tensor():
    options = PTQOptions(weight_bits=4, act_bits=4, weight_granularity="channel", bias_bits=16)
    _, qmodule, data = quantized("cnn", options)
    info = quant_info(qmodule, data)
    json.dumps(info)
    by_name = {t["name"]: t for t in info["tensors"]}
    assert {"conv1.weight", "conv1.bias", "fc.weight", "relu1.output", "x_quant.output"} <= set(
        by_name
    )
    weight = by_name["conv2.weight"]
    assert (weight["bits"], weight["signed"], weight["narrow"], weight["layer"]) == (
        4,
        True,
        True,
        "conv2",
    )
    assert len(weight["scale"]) == 16 and weight["zero_point"] == 0.0
    assert weight["statistic"] == "max|w|" and weight["clipped_fraction"] == 0.0
    assert by_name["conv2.bias"]["bits"] == 16
    relu = by_name["relu1.output"]
    assert (relu["bits"], relu["signed"], relu["tensor"]) == (4, False, "output")
    assert isinstance(relu["scale"], float) and relu["statistic"] == "minmax"
    assert 0.0 <= relu["clipped_fraction"] < 0.01
    assert info["calibration_samples"] == sum(b.shape[0] for b in data)


def test_entropy_at_3_bits_clips_few_relu_outputs():
    _, qmodule, data = quantized(
        "cnn", PTQOptions(weight_bits=4, act_bits=3, calib_method="entropy")
    )
    info = quant_info(qmodule, data)
    relus = [t for t in info["tensors"] if t["layer"].startswith("relu")]
    assert relus and all(t["statistic"] == "entropy" and t["bits"] == 3 for t in relus)
    assert all(t["clipped_fraction"] < 0.05 for t in relus), relus
