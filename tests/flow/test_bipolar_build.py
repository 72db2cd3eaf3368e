"""A CNV-like W1A1 Brevitas net (sign activations, binary weights, tests.brevitas_models
"w1a1": 3 unpadded convs of 8-16 channels and a max-pool on 12x12 pixels) builds from its
QONNX export to a deploy package: every conv and the pool in hardware (the first conv an
8-bit-input MVU with a sign output, the others XNOR), the C++ simulation bit-exact against
numpy on the build's input and on edge and random frames, and the package's driver moving
the BIPOLAR output stream (one bit per element) through the C++ accelerator."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.network import hardware_region, region_boundary
from qnnflow.backends.hls.network_sim import first_mismatch
from qnnflow.driver import Accelerator
from qnnflow.flow import BuildConfig, run_build
from qnnflow.ops import DOMAIN
from tests.brevitas_models import SPECS, random_pixels

pytest.importorskip("brevitas")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    from tests.brevitas_models import exported

    root = tmp_path_factory.mktemp("w1a1")
    path = root / "w1a1.onnx"
    exported("w1a1", root).save(str(path))
    cfg = BuildConfig(model=path, output_root=root / "out", to_step="package")
    run_build(cfg)
    return cfg.output_dir


def _model(out, step: str) -> ModelWrapper:
    (path,) = out.glob(f"[0-9][0-9]_{step}.onnx")
    return ModelWrapper(str(path))


def test_every_conv_and_pool_is_hardware_and_the_hidden_ones_are_xnor(build):
    hw = _model(build, "to_hw")
    host = {n.op_type for n in hw.graph.node if n.domain != DOMAIN}
    assert not host & {"Conv", "MaxPool"}
    assert [n.op_type for n in hw.graph.node].count("MultiThreshold") == 1  # the input quant
    mvus = [getCustomOp(n) for n in hw.graph.node if n.op_type == "MatrixVectorUnit"]
    assert len(mvus) == 3 and [op.xnor_mode() for op in mvus] == [False, True, True]
    assert [op.get_nodeattr("outputDataType") for op in mvus] == ["BIPOLAR"] * 3
    assert mvus[0].get_nodeattr("inputDataType") == "UINT8"
    assert [n.op_type for n in hw.graph.node].count("StreamingMaxPool") == 1
    report = json.loads((build / "cppsim" / "cppsim.json").read_text())
    assert report["bit_exact"], report["first_mismatch"]


def test_cpp_matches_numpy_on_edge_and_random_frames(build):
    model = _model(build, "cppsim")
    size = SPECS["w1a1"].size
    frames = [
        np.zeros((1, 3, size, size), np.float32),
        np.full((1, 3, size, size), 255, np.float32),
        random_pixels((1, 3, size, size), 11),
    ]
    for x in frames:
        mismatch, _ = first_mismatch(model, x)
        assert mismatch is None, str(mismatch)


def test_driver_moves_the_bipolar_output_through_the_cpp_accelerator(build, tmp_path):
    model = _model(build, "package")
    in_tensor, (out_tensor,) = region_boundary(model, hardware_region(model))
    acc = Accelerator(build / "deploy", backend="sim", cache_dir=tmp_path / "cpp")
    assert acc.output_format.dtype == "BIPOLAR" and acc.output_format.bits == 1
    size = SPECS["w1a1"].size
    batch, expected = [], []
    for seed in (3, 4):
        x = random_pixels((1, 3, size, size), seed)
        context = execute_onnx(model, {model.graph.input[0].name: x}, True)
        batch.append(context[in_tensor][0])
        expected.append(context[out_tensor][0])
    got = acc.execute(np.stack(batch).astype(np.int64))
    np.testing.assert_array_equal(got, np.stack(expected))
    assert set(np.unique(got)) == {-1, 1}
