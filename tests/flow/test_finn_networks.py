"""FINN's Brevitas test networks (brevitas_examples.bnn_pynq) build to a deploy package with
every conv and fully connected layer in hardware and the C++ simulation bit-exact: shrunk
TFC and CNV at W1A1, W1A2 and W2A2 in the default suite, every full-size network
bnn_pynq offers in the slow suite."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.network_sim import first_mismatch
from qnnflow.flow import BuildConfig, run_build
from tests.finn_networks import FULL_NETWORKS, PRECISIONS, export, full_network, small_network

pytest.importorskip("brevitas_examples")

COMPUTE_OPS = {"Conv", "Gemm", "MatMul"}


def _build(onnx_path: Path, out: Path):
    result = run_build(BuildConfig(model=onnx_path, output_root=out, to_step="package"))
    assert result.ran[-1] == "package"
    return result


def _check(build: Path) -> dict:
    """Every conv/FC in hardware, C++ simulation bit-exact, the package written."""
    hardware = ModelWrapper(str(build / "07_to_hw.onnx"))
    on_host = [n.name for n in hardware.graph.node if n.op_type in COMPUTE_OPS]
    assert on_host == [], f"compute layers left on the host: {on_host}"
    cppsim = json.loads((build / "cppsim" / "cppsim.json").read_text())
    assert cppsim["bit_exact"], cppsim["first_mismatch"]
    assert cppsim["layers"], "nothing was simulated"
    assert (build / "deploy.zip").is_file()
    return json.loads((build / "estimate.json").read_text())


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("net", ["tfc", "cnv"])
def test_small_finn_network_builds_bit_exact(net, precision, tmp_path):
    model, shape = small_network(net, precision, seed=1)
    onnx_path = export(model, shape, tmp_path / f"{net}_{precision}.onnx")
    result = _build(onnx_path, tmp_path / "build")
    _check(result.output_dir)
    # beyond the build's own inputs: pixels 0, 1 and 0.5 drive the first quantizer to its
    # lowest, highest and middle codes (2x - 1 = -1, +1, 0), and more random frames
    rng = np.random.default_rng(7)
    frames = [np.full(shape, v, np.float32) for v in (0.0, 1.0, 0.5)]
    frames += [rng.random(shape, dtype=np.float32) for _ in range(2)]
    for x in frames:
        mismatch, _ = first_mismatch(result.model, x)
        assert mismatch is None, str(mismatch)


@pytest.mark.slow
@pytest.mark.parametrize("name", FULL_NETWORKS)
def test_full_size_finn_network_builds_bit_exact(name, tmp_path):
    model, shape = full_network(name)
    onnx_path = export(model, shape, tmp_path / f"{name}.onnx")
    estimate = _check(_build(onnx_path, tmp_path / "build").output_dir)
    print(name, json.dumps(estimate.get("totals", estimate))[:400])  # shown with -s
