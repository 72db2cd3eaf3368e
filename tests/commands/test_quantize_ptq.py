"""`qnnflow quantize` on float models through Brevitas PTQ: every flag is run through the CLI
on a tiny CNN (so a run takes about a second) and checked by its effect on the QONNX written
(Quant bit widths, scale shapes and values, zero points, float layers) or on quant_info.json."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from tests.commands import ptq_nets
from tests.commands.ptq_cli import make_tiny_files, run_quantize, tiny_args
from tests.commands.qonnx_quant import (
    act_quants,
    bias_quants,
    compute_nodes,
    output_producer,
    weight_quants,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_files(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def baseline(tiny, tmp_path_factory):
    """int8 with every default: the reference the flags are compared against."""
    return run_quantize(tiny_args(tiny), tmp_path_factory.mktemp("base") / "int8.onnx")


def _run(tiny, tmp_path, *extra, name: str = "out.onnx"):
    return run_quantize(tiny_args(tiny, *extra), tmp_path / name)


def _outputs(model: ModelWrapper, x: np.ndarray) -> np.ndarray:
    name = model.graph.input[0].name
    return execute_onnx(model, {name: x})[model.graph.output[0].name]


def _sample(tiny) -> np.ndarray:
    return np.load(tiny.calib)[:4]


def test_defaults_are_int8_per_channel_with_a_float_output(baseline):
    model = baseline.model
    assert [n.op_type for n in compute_nodes(model)] == ["Conv", "Conv", "Gemm"]
    weights = weight_quants(model)
    assert all(q is not None and q.bits == 8 and q.signed for q in weights)
    assert weights[0].scale.shape == (4, 1, 1, 1)  # per output channel
    assert [q.bits for q in bias_quants(model)] == [32, 32, 32]
    acts = act_quants(model)
    assert [q.bits for q in acts] == [8, 8, 8]  # the input and two ReLU outputs
    assert acts[0].signed and not acts[1].signed and not acts[2].signed  # auto: after ReLU
    assert output_producer(model).op_type == "Gemm"  # --output-bits float
    assert "9 quantized tensors" in baseline.output


def test_model_positional_and_model_alias_write_the_same_bytes(tiny, baseline, tmp_path):
    args = tiny_args(tiny)
    alias = run_quantize(["--model", *args], tmp_path / "alias.onnx")
    assert alias.exit_code == 0, alias.output
    assert alias.path.read_bytes() == baseline.path.read_bytes()


@pytest.mark.parametrize("kind", ["torchscript", "state_dict"])
def test_torch_inputs_quantize_like_the_onnx(kind, tiny, baseline, tmp_path):
    """TorchScript (+ --input-size, --channels) and .pth + --model-def give the same QONNX
    function as the ONNX export of the same weights."""
    extra = ["--input-size", "8x8", "--channels", "gray"]
    if kind == "state_dict":
        extra += ["--model-def", ptq_nets.model_def()]
    path = getattr(tiny, kind)
    run = run_quantize(
        [path, "--calib-data", tiny.calib, "--max-samples", 8, *extra], tmp_path / "t.onnx"
    )
    model = run.model
    assert model.get_tensor_shape(model.graph.input[0].name) == [1, 1, 8, 8]
    for got, want in zip(weight_quants(model), weight_quants(baseline.model), strict=True):
        np.testing.assert_allclose(got.scale, want.scale, rtol=1e-6)
    x = _sample(tiny)
    for i in range(len(x)):
        np.testing.assert_allclose(
            _outputs(model, x[i : i + 1]), _outputs(baseline.model, x[i : i + 1]), atol=1e-4
        )


def test_torchscript_input_size_sets_the_input_shape(tiny, tmp_path):
    """Without --input-size a TorchScript file does not know its input; a wrong one fails on
    the model's own Linear (one error naming the file), the right one sets the QONNX input."""
    base = [tiny.torchscript, "--calib-data", tiny.calib, "--max-samples", 4]
    missing = run_quantize(base, tmp_path / "a.onnx")
    assert missing.exit_code != 0 and "input size" in str(missing.exception)
    wrong = run_quantize([*base, "--input-size", "16x16"], tmp_path / "b.onnx")
    assert wrong.exit_code != 0 and str(tiny.torchscript) in str(wrong.exception)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("scheme", "w", "a"),
    [
        ("int8", 8, 8),
        ("w4a4", 4, 4),
        ("w2a2", 2, 2),
        ("w1a3", 1, 3),
        ("w1a1", 1, 1),
        ("W3A5", 3, 5),
    ],
)
def test_scheme_sets_weight_and_activation_bits(scheme, w, a, tiny, tmp_path):
    extra = ["--scheme", scheme] + (["--bias-bits", "float"] if a == 1 else [])
    model = _run(tiny, tmp_path, *extra).model
    for q in weight_quants(model):
        assert q is not None
        assert (q.op, q.bits) == (("BipolarQuant", 1) if w == 1 else ("Quant", w))
    acts = act_quants(model)
    assert acts[0].bits == 8  # the network input stays 8-bit whatever the scheme
    for q in acts[1:]:
        assert (q.op, q.bits) == (("BipolarQuant", 1) if a == 1 else ("Quant", a))


def test_mixed_keeps_a_layer_float_and_sets_another_to_4_bits(tiny, tmp_path):
    config = tmp_path / "mixed.yaml"
    config.write_text(
        "layers:\n  conv1_Conv: float\n  'fc*': {weight_bits: 4}\n  conv2_Conv: {act_bits: 6}\n"
    )
    model = _run(tiny, tmp_path, "--mixed", config).model
    conv1, conv2, fc = weight_quants(model)
    assert conv1 is None  # float weight: no Quant feeds the Conv
    assert conv2.bits == 8 and fc.bits == 4
    # the input, a requantizer of float conv1's output for conv2, conv2's output
    assert sorted(q.bits for q in act_quants(model)) == [6, 8, 8]


@pytest.mark.parametrize(("granularity", "shape"), [("tensor", ()), ("channel", (4, 1, 1, 1))])
def test_weight_granularity_sets_the_scale_shape(granularity, shape, tiny, tmp_path):
    model = _run(tiny, tmp_path, "--weight-granularity", granularity).model
    conv1 = weight_quants(model)[0]
    assert np.asarray(conv1.scale).squeeze().shape == tuple(d for d in shape if d != 1)
    assert np.asarray(conv1.scale).size == (4 if granularity == "channel" else 1)


def test_po2_scales_are_powers_of_two(tiny, baseline, tmp_path):
    model = _run(tiny, tmp_path, "--scale", "po2").model
    scales = [q.scale for q in [*weight_quants(model), *act_quants(model)]]
    for scale in scales:
        exponent = np.log2(np.asarray(scale, dtype=np.float64))
        np.testing.assert_array_equal(exponent, np.round(exponent))
    float_scale = np.log2(np.asarray(weight_quants(baseline.model)[0].scale, dtype=np.float64))
    assert not np.all(float_scale == np.round(float_scale))  # the default is not po2


@pytest.mark.parametrize(("act", "signed"), [("signed", True), ("unsigned", False)])
def test_act_sign_sets_the_relu_output_quantizers(act, signed, tiny, tmp_path):
    model = _run(tiny, tmp_path, "--act", act).model
    assert [q.signed for q in act_quants(model)[1:]] == [signed, signed]


def test_act_asymmetric_gives_a_zero_point(tiny, baseline, tmp_path):
    model = _run(tiny, tmp_path, "--act-asymmetric", "--scheme", "w4a4").model
    assert any(np.any(np.asarray(q.zero_point) != 0) for q in act_quants(model))
    assert all(np.all(np.asarray(q.zero_point) == 0) for q in act_quants(baseline.model))


@pytest.mark.parametrize("bits", ["16", "float"])
def test_bias_bits(bits, tiny, tmp_path):
    model = _run(tiny, tmp_path, "--bias-bits", bits).model
    biases = bias_quants(model)
    if bits == "float":
        assert biases == [None, None, None]
        assert all(len(n.input) == 3 for n in compute_nodes(model))  # the biases are kept
    else:
        assert [q.bits for q in biases] == [16, 16, 16]


def test_output_bits_requantizes_the_network_output(tiny, tmp_path):
    model = _run(tiny, tmp_path, "--output-bits", "4").model
    last = output_producer(model)
    assert last.op_type == "Quant"
    assert float(model.get_initializer(last.input[3])) == 4


def _act_scales(info: dict) -> dict[str, float]:
    return {t["name"]: t["scale"] for t in info["tensors"] if t["tensor"] == "output"}


def test_calib_methods_and_percentile_set_different_thresholds(tiny, baseline, tmp_path):
    statistic = {"minmax": {"minmax"}}
    scales = {"minmax": _act_scales(baseline.info)}
    runs = {
        "percentile": ["--calib-method", "percentile", "--percentile", "90"],
        "percentile99": ["--calib-method", "percentile", "--percentile", "99"],
        "entropy": ["--calib-method", "entropy", "--scheme", "w4a3"],
        "mse": ["--calib-method", "mse", "--scheme", "w4a4"],
        "minmax_w4a4": ["--scheme", "w4a4"],
    }
    for name, extra in runs.items():
        info = _run(tiny, tmp_path, *extra, name=f"{name}.onnx").info
        outputs = [t for t in info["tensors"] if t["tensor"] == "output"]
        statistic[name] = {t["statistic"] for t in outputs}
        scales[name] = _act_scales(info)
    assert statistic["percentile"] == {"percentile 90.0"}
    assert statistic["percentile99"] == {"percentile 99.0"}
    assert statistic["entropy"] == {"entropy"} and statistic["mse"] == {"mse"}
    # the percentile clips: a lower percentile, a smaller scale on every activation
    for name, scale in scales["percentile"].items():
        assert scale < scales["percentile99"][name] < scales["minmax"][name]
    for name, scale in scales["mse"].items():  # at 4 bits the MSE optimum clips
        assert scale <= scales["minmax_w4a4"][name]
    assert scales["mse"] != scales["minmax_w4a4"]


def test_batch_size_and_max_samples_set_the_calibration_set(tiny, tmp_path):
    info = _run(tiny, tmp_path, "--batch-size", 3).info  # 8 samples
    assert (info["calibration_samples"], info["calibration_batches"]) == (8, 3)
    args = [tiny.onnx, "--calib-data", tiny.calib, "--max-samples", 16, "--batch-size", 16]
    info = run_quantize(args, tmp_path / "all.onnx").info
    assert (info["calibration_samples"], info["calibration_batches"]) == (16, 1)


def test_quant_info_lists_every_quantized_tensor(baseline):
    info = baseline.info
    assert info["model"].endswith("tiny.onnx") and info["scheme"] == "w8a8"
    assert info["options"]["weight_granularity"] == "channel"
    assert info["recovery"] == []
    assert len(info["output_drift"]["sqnr_db"]) == 1 and info["output_drift"]["sqnr_db"][0] > 20
    kinds = sorted(t["tensor"] for t in info["tensors"])
    assert kinds == ["bias"] * 3 + ["output"] * 3 + ["weight"] * 3
    fields = {"name", "layer", "tensor", "bits", "signed", "bipolar", "scale", "zero_point"}
    for tensor in info["tensors"]:
        assert fields | {"statistic", "clipped_fraction", "narrow"} <= set(tensor)
        assert 0.0 <= tensor["clipped_fraction"] <= 1.0
    weights = [t for t in info["tensors"] if t["tensor"] == "weight"]
    qonnx = weight_quants(baseline.model)
    for entry, quant in zip(weights, qonnx, strict=True):  # the same scales as the QONNX
        np.testing.assert_allclose(np.ravel(entry["scale"]), np.ravel(quant.scale), rtol=1e-6)


def test_qcdq_runs_in_onnxruntime_equal_to_the_qonnx(tiny, baseline, tmp_path):
    """Equal without onnxruntime's QDQ fusion; its fused int8 kernels (u8 x s8 on CPUs
    without VNNI) may saturate and differ, so the comparison runs unfused."""
    import onnxruntime as ort

    qcdq = tmp_path / "out_qcdq.onnx"
    run = _run(tiny, tmp_path, "--qcdq", qcdq)
    assert run.path.read_bytes() == baseline.path.read_bytes()
    ops = {n.op_type for n in ModelWrapper(str(qcdq)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops and "Quant" not in ops
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(str(qcdq), options)
    x = np.load(tiny.calib)
    for i in range(len(x)):
        got = session.run(None, {session.get_inputs()[0].name: x[i : i + 1]})[0]
        want = _outputs(baseline.model, x[i : i + 1])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    fused = ort.InferenceSession(str(qcdq)).run(None, {session.get_inputs()[0].name: x[:1]})
    assert fused[0].shape == (1, 5)
