"""What Brevitas graph PTQ emits (tests/ptq_models: a signed input QuantIdentity, layers with
Int32Bias, QuantReLU, per-channel or per-tensor weight scales, residual adds, a last layer
with or without output requantization) compiles: every conv and fully connected layer in
hardware, the streamlined graph equal to qonnx's execution of the export, the C++ simulation
bit-exact. A residual add becomes a StreamingAdd, the requantizing ReLU after it a
Thresholding, a global average pool a GlobalAccPool (its 1/(H*W) in the next thresholds).
The committed float SmallResNet, quantized by `qnnflow quantize --scheme w4a4`, compiles to a
bit-exact C++ simulation with every layer but the first thresholds and last scale in
hardware."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.network_sim import first_mismatch
from qnnflow.flow import BuildConfig, run_build
from qnnflow.flow.quant_steps import FLOAT_TOLERANCE
from qnnflow.verify.equivalence import check_equivalent

pytest.importorskip("brevitas")

from tests.ptq_models import Scheme, export  # noqa: E402

COMPUTE_OPS = {"Conv", "Gemm", "MatMul"}
W8A8_CHANNEL_FLOAT_OUT = Scheme(8, 8, per_channel=True, output_quant=False)
W4A4_TENSOR = Scheme(4, 4)


def _export(net: str, scheme: Scheme, tmp_path: Path) -> Path:
    return export(net, scheme, tmp_path / f"{net}_{scheme.name}.onnx", seed=3)


def _build(onnx_path: Path, out: Path, to_step: str):
    result = run_build(BuildConfig(model=onnx_path, output_root=out, to_step=to_step))
    assert result.ran[-1] == to_step
    return result.output_dir


def _check_streamlined(exported: Path, build: Path, shape: tuple[int, ...], seed: int = 11):
    """The streamlined graph equals qonnx's execution of the export on fresh random inputs,
    and every compute layer went to hardware."""
    streamlined = ModelWrapper(str(build / "06_streamline.onnx"))
    rng = np.random.default_rng(seed)
    name = streamlined.graph.input[0].name
    feeds = [
        (f"random input {i}", {name: rng.normal(size=shape).astype(np.float32)}) for i in range(3)
    ]
    check_equivalent(ModelWrapper(str(exported)), streamlined, feeds, FLOAT_TOLERANCE, "PTQ")
    hardware = ModelWrapper(str(build / "07_to_hw.onnx"))
    on_host = [n.name for n in hardware.graph.node if n.op_type in COMPUTE_OPS]
    assert on_host == [], f"compute layers left on the host: {on_host}"


def _check_cppsim(build: Path, shape: tuple[int, ...], frames: int = 2) -> None:
    cppsim = json.loads((build / "cppsim" / "cppsim.json").read_text())
    assert cppsim["bit_exact"], cppsim["first_mismatch"]
    assert cppsim["layers"], "nothing was simulated"
    model = ModelWrapper(str(build / "10_cppsim.onnx"))
    rng = np.random.default_rng(5)
    # beyond the build's own inputs: more random frames, and a saturating one (+-4 sigma)
    inputs = [rng.normal(size=shape).astype(np.float32) for _ in range(frames)]
    inputs.append(np.where(rng.random(shape) < 0.5, -4.0, 4.0).astype(np.float32))
    for x in inputs:
        mismatch, _ = first_mismatch(model, x)
        assert mismatch is None, str(mismatch)


@pytest.mark.parametrize("scheme", [W8A8_CHANNEL_FLOAT_OUT, W4A4_TENSOR], ids=lambda s: s.name)
def test_small_ptq_cnn_builds_bit_exact(scheme, tmp_path):
    """conv-relu-pool x2 + linear: W8A8 per-channel with the last layer's float output on the
    host (its scale and bias), and W4A4 per-tensor with the output requantized."""
    exported = _export("cnn", scheme, tmp_path)
    build = _build(exported, tmp_path / "build", "cppsim")
    _check_streamlined(exported, build, (1, 3, 8, 8))
    _check_cppsim(build, (1, 3, 8, 8))


@pytest.mark.slow
def test_ptq_mlp_goes_to_hardware(tmp_path):
    exported = _export("mlp", Scheme(8, 8, per_channel=True), tmp_path)
    _check_streamlined(exported, _build(exported, tmp_path / "build", "to_hw"), (1, 32))


HOST_OK = {"MultiThreshold", "Transpose", "Mul", "Add"}  # input thresholds, output scale/bias


def _check_all_in_hardware(build: Path, *op_types: str) -> None:
    """Only the input's thresholds and layout change and the output's scale and bias stay on
    the host, before and after the hardware region (the step refuses anything inside)."""
    report = json.loads((build / "to_hw.json").read_text())
    host = {(h["op_type"], h["position"]) for h in report["host_nodes"]}
    assert {op for op, _ in host} <= HOST_OK, report["host_nodes"]
    assert {p for _, p in host} <= {"before", "after"}, report["host_nodes"]
    ops = report["hardware_ops"]
    for op_type in ("MatrixVectorUnit", *op_types):
        assert ops.get(op_type, 0) >= 1, ops


def test_residual_net_with_adds_and_global_pool_builds_bit_exact(tmp_path):
    """Brevitas requantizes both branches of x + f(x) to one scale: streamlining leaves an
    integer Add of the two branches' codes (a StreamingAdd), the ReLU after it becomes a
    Thresholding on the sum."""
    exported = _export("resnet", W4A4_TENSOR, tmp_path)  # 8-bit thresholds overflow LUTRAM
    build = _build(exported, tmp_path / "build", "cppsim")
    _check_streamlined(exported, build, (1, 3, 8, 8))
    _check_all_in_hardware(build, "StreamingAdd", "Thresholding")
    hardware = ModelWrapper(str(build / "07_to_hw.onnx"))
    after_add = [
        n
        for n in hardware.graph.node
        if n.op_type == "Thresholding"
        and hardware.find_producer(n.input[0]).op_type in ("StreamingAdd", "DuplicateStreams")
    ]
    assert after_add, "no Thresholding after a residual add"
    _check_cppsim(build, (1, 3, 8, 8))


def test_small_resnet_shapes_w4a4_compiles_bit_exact(tmp_path):
    """The committed float classifier (residual adds, global average pooling), quantized
    like the README says (`qnnflow quantize ... --scheme w4a4`, 4 calibration samples here)
    -> streamline -> to_hw -> AutoFold for the PYNQ-Z2 -> codegen -> C++ simulation."""
    from tests.commands.ptq_cli import CLASSIFIERS, run_quantize

    calib = tmp_path / "calib.npy"
    np.save(calib, np.random.default_rng(0).normal(size=(4, 3, 32, 32)).astype(np.float32))
    source = CLASSIFIERS / "small-resnet-shapes.onnx"
    run = run_quantize([source, "--calib-data", calib, "--scheme", "w4a4"], tmp_path / "r.onnx")
    build = _build(run.model and run.path, tmp_path / "build", "cppsim")
    _check_all_in_hardware(build, "StreamingAdd", "Thresholding", "GlobalAccPool")
    folding = json.loads((build / "folding_config.json").read_text())
    pool = next(name for name in folding if name.endswith("_hw") and "GlobalAveragePool" in name)
    assert "PE" in folding[pool]
    _check_cppsim(build, (1, 3, 32, 32), frames=1)


SLOW_CASES = [
    ("cnn", Scheme(8, 8), "to_hw"),  # three 255-threshold layers: more LUTRAM than fits
    ("cnn", Scheme(4, 4, per_channel=True, output_quant=False), "cppsim"),
    ("cnn", Scheme(2, 2, per_channel=True), "cppsim"),
    ("mlp", Scheme(8, 8, output_quant=False), "cppsim"),
    ("mlp", Scheme(4, 4, per_channel=True), "cppsim"),
    ("mlp", Scheme(2, 2), "cppsim"),
    ("convchain", Scheme(4, 4, per_channel=True), "cppsim"),  # BatchNorm, conv -> conv
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "net,scheme,to_step", SLOW_CASES, ids=[f"{n}_{s.name}" for n, s, _ in SLOW_CASES]
)
def test_ptq_network_schemes(net, scheme, to_step, tmp_path):
    exported = _export(net, scheme, tmp_path)
    build = _build(exported, tmp_path / "build", to_step)
    shape = (1, 32) if net == "mlp" else (1, 3, 8, 8)  # every other net: 3 x 8 x 8
    _check_streamlined(exported, build, shape)
    if to_step == "cppsim":
        _check_cppsim(build, shape)


@pytest.mark.slow
@pytest.mark.parametrize("scheme", [Scheme(4, 4, per_channel=True), Scheme(2, 2)])
def test_residual_adds_convert_at_every_scheme(scheme, tmp_path):
    exported = _export("resnet", scheme, tmp_path)
    build = _build(exported, tmp_path / "build", "cppsim")
    _check_streamlined(exported, build, (1, 3, 8, 8))
    _check_all_in_hardware(build, "StreamingAdd", "Thresholding")
    _check_cppsim(build, (1, 3, 8, 8))


@pytest.mark.slow
def test_global_average_pooling_goes_to_hardware(tmp_path):
    """AdaptiveAvgPool2d(1) exports as ReduceMean: an integer sum in hardware, its 1/(H*W)
    absorbed by the next thresholds."""
    exported = _export("convchain_gap", Scheme(4, 4, per_channel=True), tmp_path)
    build = _build(exported, tmp_path / "build", "cppsim")
    _check_streamlined(exported, build, (1, 3, 8, 8))
    hardware = ModelWrapper(str(build / "07_to_hw.onnx"))
    assert "GlobalAccPool" in {n.op_type for n in hardware.graph.node}
    _check_cppsim(build, (1, 3, 8, 8))
