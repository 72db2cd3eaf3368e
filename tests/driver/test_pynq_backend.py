"""The PYNQ backend's control flow (weight images and their address registers, start,
per-frame DMA transfers, timeouts) against a pynq test double whose DMA feeds the bytes
through the python backend's execution of the hardware layers."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from qnnflow.backends.deploy.export import export_driver_package
from qnnflow.backends.hls.layer_code import c_identifier
from qnnflow.driver import Accelerator
from qnnflow.driver.pynq_backend import pointer_registers
from qnnflow.driver.sim_backends import PythonBackend
from qnnflow.errors import QnnflowError
from tests.driver import fake_pynq
from tests.driver.models import DDR_LAYER

PORT = f"{c_identifier(DDR_LAYER)}_wddr"  # the HLS backend's m_axi port name
REGISTERS = {
    "CTRL": {"address_offset": 0x00, "size": 32},
    f"{PORT}_1": {"address_offset": 0x10, "size": 32},
    f"{PORT}_2": {"address_offset": 0x14, "size": 32},
}


def _hook(model, node):
    return {PORT: np.arange(100, dtype=np.uint8)}


@pytest.fixture
def board(mini_ddr_folded, tmp_path, monkeypatch):
    """A package with a DDR weight image, a bitstream file and the fake pynq installed."""
    pkg = export_driver_package(mini_ddr_folded, tmp_path / "pkg", weight_images=_hook)
    (pkg.root / pkg.bitfile).write_bytes(b"not a real bitstream")
    python = PythonBackend(pkg)
    fake_pynq.CONFIG.clear()
    fake_pynq.CONFIG.update(
        device=lambda frame: python.transfer(frame, 1, 60.0)[0],
        in_bytes=pkg.input.frame_bytes,
        out_bytes=pkg.output.frame_bytes,
        registers=REGISTERS,
    )
    monkeypatch.setitem(sys.modules, "pynq", fake_pynq)
    return pkg


def test_weights_registers_and_frames(board):
    acc = Accelerator(board.root, backend="pynq")
    overlay = fake_pynq.CONFIG["overlay"]
    weights = fake_pynq.CONFIG["allocated"][0]
    assert np.array_equal(weights, np.arange(100)) and weights.flushed
    address = weights.physical_address
    assert overlay.accel.writes == [
        (0x10, address & 0xFFFFFFFF),
        (0x14, address >> 32),
        (0x00, 0x81),
    ]
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (3, *board.input.shape[1:]))
    got = acc.execute(batch)
    python = Accelerator(board.root, backend="python")
    assert np.array_equal(got, python.execute(batch))
    assert overlay.dma.recvchannel.frames == 3


def test_stalled_accelerator_times_out(board):
    acc = Accelerator(board.root, backend="pynq", timeout=0.05)
    fake_pynq.CONFIG["stall"] = True
    with pytest.raises(QnnflowError, match="timeout waiting for the DMA output of frame 0"):
        acc.execute(np.zeros((1, *board.input.shape[1:])))


def test_missing_weight_image_or_bitstream(board, mini_ddr_folded, tmp_path):
    bare = export_driver_package(mini_ddr_folded, tmp_path / "bare")
    with pytest.raises(QnnflowError, match="bitstream not found"):
        Accelerator(bare.root, backend="pynq")
    (bare.root / bare.bitfile).write_bytes(b"x")
    (bare.root / bare.weights[0].file).unlink()
    with pytest.raises(QnnflowError, match=DDR_LAYER):
        Accelerator(bare.root, backend="pynq")


def test_pointer_registers_follow_vitis_naming():
    assert pointer_registers(REGISTERS, PORT) == [(0x10, 0), (0x14, 32)]
    assert pointer_registers({"w": {"address_offset": 0x18, "size": 64}}, "w") == [
        (0x18, 0),
        (0x1C, 32),
    ]
    assert pointer_registers({"w": {"address_offset": 0x18, "size": 32}}, "w") == [(0x18, 0)]
    with pytest.raises(QnnflowError, match="no address register for weight port 'v'.*CTRL"):
        pointer_registers(REGISTERS, "v")


def test_batches_beyond_one_dma_transfer_are_split(board, monkeypatch):
    from qnnflow.driver import pynq_backend

    monkeypatch.setattr(pynq_backend, "DMA_MAX_BYTES", 2 * board.input.frame_bytes)
    sent = []
    device = fake_pynq.CONFIG["device"]
    fake_pynq.CONFIG["device"] = lambda frame: sent.append(frame.copy()) or device(frame)
    batch = np.random.default_rng(1).integers(0, 256, (3, *board.input.shape[1:]))
    got = Accelerator(board.root, backend="pynq").execute(batch)
    assert len(sent) == 3
    assert np.array_equal(got, Accelerator(board.root, backend="python").execute(batch))
    monkeypatch.setattr(pynq_backend, "DMA_MAX_BYTES", board.input.frame_bytes - 1)
    with pytest.raises(QnnflowError, match="exceeds the DMA's"):
        Accelerator(board.root, backend="pynq").execute(batch[:1])
