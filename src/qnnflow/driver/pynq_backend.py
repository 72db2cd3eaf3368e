"""The PYNQ-Z2 backend: load the overlay, put the DDR weight images in contiguous memory and
their addresses in the accelerator's AXI-lite registers, then move frames with the AXI DMA.

Block design contract (boards/pynq_z2/block_design.tcl.in): the DMA cell is `dma`, the
accelerator `accel`; the accelerator's output asserts TLAST once per frame, so the S2MM
channel is armed once per frame. With weight ports the top has Vitis HLS's ap_ctrl_hs on
`s_axi_control`; the driver starts it once in auto-restart mode, so it takes frame after
frame like the free-running (ap_ctrl_none) top without weight ports. Needs pynq >= 2.7
(`transfer(array, start, nbytes)`, `allocate`); imported only when this backend is built.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from qnnflow.driver.package import AcceleratorPackage
from qnnflow.errors import QnnflowError

AP_START, AP_AUTO_RESTART = 0x1, 0x80
CTRL_OFFSET = 0x00  # Vitis HLS block-level control register
DMA_MAX_BYTES = (1 << 26) - 1  # the block design's 26-bit transfer-length register
POLL_SECONDS = 20e-6


def pointer_registers(registers: dict, port: str) -> list[tuple[int, int]]:
    """[(offset, shift)] 32-bit writes that set the DDR address of `port`, from the register
    map PYNQ reads from the .hwh ({name: {"address_offset", "size", ...}}). Vitis HLS names
    a 64-bit pointer's halves `<port>_1` (low) and `<port>_2` (high); a single `<port>`
    register of 32 or 64 bits is also accepted."""
    low, high = registers.get(f"{port}_1"), registers.get(f"{port}_2")
    if low is not None:
        writes = [(int(low["address_offset"]), 0)]
        if high is not None:
            writes.append((int(high["address_offset"]), 32))
        return writes
    single = registers.get(port)
    if single is not None:
        offset = int(single["address_offset"])
        return (
            [(offset, 0), (offset + 4, 32)] if int(single.get("size", 32)) > 32 else [(offset, 0)]
        )
    raise QnnflowError(
        f"the accelerator's register map has no address register for weight port '{port}' "
        f"(registers: {', '.join(sorted(registers)) or 'none'})"
    )


def _wait_idle(channel, deadline: float, what: str) -> None:
    while not channel.idle:
        if time.perf_counter() > deadline:
            raise QnnflowError(
                f"timeout waiting for the DMA {what}; the accelerator may be stalled "
                "(reload the overlay before retrying)"
            )
        time.sleep(POLL_SECONDS)


class PynqBackend:
    name = "pynq"

    def __init__(self, package: AcceleratorPackage, bitfile: str | Path | None = None):
        try:
            import pynq
        except ImportError:
            raise QnnflowError(
                "backend='pynq' needs the pynq package, which exists only on the board's "
                "PYNQ image; off the board use backend='sim'"
            ) from None
        self.pynq = pynq
        self.package = package
        path = Path(bitfile) if bitfile else package.root / package.bitfile
        if not path.is_file():
            raise QnnflowError(f"bitstream not found: {path} (its .hwh must lie beside it)")
        self.overlay = pynq.Overlay(str(path))
        self.dma = self._ip("dma")
        self._buffers: dict[int, tuple] = {}
        self._weights = []  # keep the weight buffers alive while the overlay runs
        if package.control:
            self._start_accelerator()

    def _ip(self, role: str):
        name = self.package.ip[role]
        try:
            return getattr(self.overlay, name)
        except AttributeError:
            raise QnnflowError(f"the overlay has no IP '{name}' ({role})") from None

    def _start_accelerator(self) -> None:
        accel = self._ip("accelerator")
        name = self.package.ip["accelerator"]
        registers = self.overlay.ip_dict.get(name, {}).get("registers", {})
        for image in self.package.weights:
            data = self.package.weight_bytes(image)
            buffer = self.pynq.allocate(shape=(data.size,), dtype=np.uint8)
            buffer[:] = data
            buffer.flush()
            address = int(buffer.physical_address)
            for offset, shift in pointer_registers(registers, image.port or ""):
                accel.write(offset, (address >> shift) & 0xFFFFFFFF)
            self._weights.append(buffer)
        ctrl = registers.get("CTRL", {}).get("address_offset", CTRL_OFFSET)
        accel.write(int(ctrl), AP_START | AP_AUTO_RESTART)

    def _buffers_for(self, frames: int) -> tuple:
        if frames not in self._buffers:
            fin, fout = self.package.input, self.package.output
            allocate = self.pynq.allocate
            self._buffers = {
                frames: (
                    allocate(shape=(frames * fin.frame_bytes,), dtype=np.uint8),
                    allocate(shape=(frames * fout.frame_bytes,), dtype=np.uint8),
                )
            }
        return self._buffers[frames]

    def transfer(self, data: np.ndarray, frames: int, timeout: float) -> np.ndarray:
        """Send `frames` packed frames and receive as many; `timeout` covers the batch."""
        fin, fout = self.package.input, self.package.output
        if max(fin.frame_bytes, fout.frame_bytes) > DMA_MAX_BYTES:
            raise QnnflowError(f"a frame exceeds the DMA's {DMA_MAX_BYTES}-byte transfer limit")
        ibuf, obuf = self._buffers_for(frames)
        ibuf[:] = np.asarray(data, np.uint8).reshape(-1)
        ibuf.flush()
        deadline = time.perf_counter() + timeout
        send, recv = self.dma.sendchannel, self.dma.recvchannel
        chunk = max(1, DMA_MAX_BYTES // fin.frame_bytes)
        for first in range(0, frames, chunk):
            count = min(chunk, frames - first)
            recv.transfer(obuf, start=first * fout.frame_bytes, nbytes=fout.frame_bytes)
            send.transfer(ibuf, start=first * fin.frame_bytes, nbytes=count * fin.frame_bytes)
            for f in range(first, first + count):
                _wait_idle(recv, deadline, f"output of frame {f}")
                if f + 1 < first + count:
                    recv.transfer(obuf, start=(f + 1) * fout.frame_bytes, nbytes=fout.frame_bytes)
            _wait_idle(send, deadline, "input")
        obuf.invalidate()
        return np.array(obuf).reshape(frames, fout.frame_bytes)
