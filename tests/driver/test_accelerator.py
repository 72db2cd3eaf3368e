"""Accelerator.execute through the off-board backends: bytes packed by the driver, pushed
through the hardware layers' execution, unpacked and reordered back to NHWC."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.backends.deploy.export import export_driver_package
from qnnflow.driver import Accelerator
from qnnflow.driver.sim_backends import renderers_available
from qnnflow.errors import QnnflowError

needs_kernels = pytest.mark.skipif(
    not renderers_available(),
    reason="the per-op HLS kernels (qnnflow.backends.hls.ops.RENDERER_MODULES) are not all "
    "present yet, so the C++ accelerator cannot be generated",
)


def _region_io(model, pkg, frames: int, seed: int = 0):
    """Random images -> (region inputs [N, ...], qonnx's region outputs [N, ...])."""
    rng = np.random.default_rng(seed)
    ins, outs = [], []
    for _ in range(frames):
        x = rng.random(model.get_tensor_shape("input")).astype(np.float32)
        ctx = execute_onnx(model, {"input": x}, return_full_exec_context=True)
        ins.append(ctx[pkg.input.tensor][0])
        outs.append(ctx[pkg.output.tensor][0])
    return np.stack(ins), np.stack(outs).astype(np.int64)


@pytest.fixture(scope="module")
def ddr_package(mini_ddr_folded, tmp_path_factory):
    return export_driver_package(mini_ddr_folded, tmp_path_factory.mktemp("pkg") / "ddr")


def test_python_backend_batch_matches_qonnx(mini_ddr_folded, ddr_package):
    ins, want = _region_io(mini_ddr_folded, ddr_package, 2)
    acc = Accelerator(ddr_package.root, backend="python")
    got = acc.execute(ins)
    assert got.dtype == np.int64 and np.array_equal(got, want)
    assert acc.last.frames == 2
    assert set(acc.last.seconds) == {"pack", "accelerator", "unpack"}


def test_execute_checks_shapes_dtypes_and_time(ddr_package):
    acc = Accelerator(ddr_package.root, backend="python")
    shape = ddr_package.input.shape
    with pytest.raises(QnnflowError, match=r"takes \[N, 64, 64, 3\].*got shape \[64, 64, 3\]"):
        acc.execute(np.zeros(shape[1:]))
    with pytest.raises(QnnflowError, match=r"takes values in \[0, 255\], got \[0, 256\]"):
        acc.execute(np.pad(np.zeros((1, 64, 64, 2)), [(0, 0)] * 3 + [(0, 1)], constant_values=256))
    with pytest.raises(QnnflowError, match="N >= 1"):
        acc.execute(np.zeros((0, *shape[1:])))
    with pytest.raises(QnnflowError, match="exceeded 1e-09 s after 1 of 2 frame"):
        acc.execute(np.zeros((2, *shape[1:])), timeout=1e-9)
    with pytest.raises(QnnflowError, match="unknown backend 'fpga'"):
        Accelerator(ddr_package.root, backend="fpga")


def test_pynq_backend_off_board_is_a_clear_error(ddr_package):
    pytest.importorskip("qonnx")  # always here; the point is that pynq is not
    with pytest.raises(QnnflowError, match="needs the pynq package"):
        Accelerator(ddr_package.root, backend="pynq")


def test_sim_backend_refuses_a_package_without_its_sources(ddr_package, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(ddr_package.root, bare)
    shutil.rmtree(bare / "sim")
    main = f"sim/{ddr_package.top}_sim.cpp"
    with pytest.raises(QnnflowError, match=f"{main} not found: this package carries no C"):
        Accelerator(bare, backend="sim")


@needs_kernels
@pytest.mark.parametrize("fixture", ["mini_folded", "mini_ddr_folded"])
def test_sim_backend_matches_qonnx(fixture, request, tmp_path):
    model = request.getfixturevalue(fixture)
    pkg = export_driver_package(model, tmp_path / "pkg")
    ins, want = _region_io(model, pkg, 2, seed=5)
    acc = Accelerator(pkg.root, backend="sim", timeout=300)
    assert np.array_equal(acc.execute(ins), want)


@needs_kernels
def test_sim_backend_timeout(mini_folded, tmp_path):
    pkg = export_driver_package(mini_folded, tmp_path / "pkg")
    acc = Accelerator(pkg.root, backend="sim", timeout=300)
    # many frames and a microsecond: the functional simulation of one small frame can end
    # within a millisecond (the race made this test flaky)
    with pytest.raises(QnnflowError, match="did not finish 32 frame"):
        acc.execute(np.zeros((32, *pkg.input.shape[1:])), timeout=1e-6)
