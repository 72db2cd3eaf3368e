"""What Brevitas graph PTQ emits (tests/ptq_models: a signed input QuantIdentity, layers with
Int32Bias, QuantReLU, per-channel or per-tensor weight scales, residual adds, a last layer
with or without output requantization) compiles: every conv and fully connected layer in
hardware, the streamlined graph equal to qonnx's execution of the export, the C++ simulation
bit-exact. A residual add becomes a StreamingAdd; the requantizing ReLU after it (a
MultiThreshold on its own, which no conversion takes yet) is refused at to_hw, named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.network_sim import first_mismatch
from qnnflow.errors import QnnflowError
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


def test_residual_add_converts_and_the_threshold_after_it_is_named(tmp_path):
    """Brevitas requantizes both branches of x + f(x) to one scale: streamlining leaves an
    integer Add of the two branches' codes, which becomes a StreamingAdd; the ReLU after it
    is a MultiThreshold with no Conv to fuse with, which stays on the host."""
    exported = _export("resnet", W8A8_CHANNEL_FLOAT_OUT, tmp_path)
    with pytest.raises(QnnflowError) as refused:
        _build(exported, tmp_path / "build", "to_hw")
    message = str(refused.value)
    assert message.startswith("step 'to_hw'"), message
    assert "Add 'node_add'" not in message
    assert (
        "MultiThreshold 'node__symbolic_10_multithreshold': ConvertConvThresholdToHW: only a "
        "MultiThreshold after a Conv converts (fused); its input comes from Transpose "
        "'node_add_to_nchw'"
    ) in message
    streamlined = ModelWrapper(str(tmp_path / "build" / exported.stem / "06_streamline.onnx"))
    adds = [n for n in streamlined.graph.node if n.op_type == "Add" and n.name == "node_add"]
    assert len(adds) == 1
    for tensor in adds[0].input:
        assert streamlined.get_tensor_datatype(tensor).is_integer()
        assert streamlined.find_producer(tensor).op_type == "MultiThreshold"


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
    with pytest.raises(QnnflowError, match=r"its input comes from Transpose 'node_add_to_nchw'"):
        _build(exported, tmp_path / "build", "to_hw")


@pytest.mark.slow
def test_global_average_pooling_is_refused_naming_it(tmp_path):
    """AdaptiveAvgPool2d(1) exports as ReduceMean, for which there is no hardware op."""
    exported = _export("convchain_gap", Scheme(4, 4, per_channel=True), tmp_path)
    with pytest.raises(QnnflowError, match=r"ReduceMean 'node_mean': no hardware conversion"):
        _build(exported, tmp_path / "build", "to_hw")
