"""The PYNQ-Z2 backend: load the overlay, put the DDR weight images in contiguous memory and
their addresses in the accelerator's AXI-lite registers, then move frames with the AXI DMA.

Block design contract (boards/pynq_z2/block_design.tcl.in): the DMA cell is `dma`, the
accelerator `accel`; every output stream asserts TLAST once per frame, so each S2MM channel
is armed once per frame. The first output arrives on `dma`, every further one (a second
detector head) on its own S2MM-only DMA (`package.output_dmas`: dma_out1, ...). With
weight ports the top has Vitis HLS's ap_ctrl_hs on `s_axi_control`; the driver starts it
once in auto-restart mode, so it takes frame after frame like the free-running
(ap_ctrl_none) top without weight ports. Needs pynq >= 2.7
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
        self.out_dmas = [self._cell(name, "output DMA") for name in package.output_dmas]
        self._buffers: dict[int, tuple] = {}
        self._weights = []  # keep the weight buffers alive while the overlay runs
        if package.control:
            self._start_accelerator()

    def _ip(self, role: str):
        return self._cell(self.package.ip[role], role)

    def _cell(self, name: str, role: str):
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
        """(input buffer, [one buffer per output stream]) for a batch of `frames`."""
        if frames not in self._buffers:
            allocate = self.pynq.allocate
            ibuf = allocate(shape=(frames * self.package.input.frame_bytes,), dtype=np.uint8)
            obufs = [
                allocate(shape=(frames * fout.frame_bytes,), dtype=np.uint8)
                for fout in self.package.outputs
            ]
            self._buffers = {frames: (ibuf, obufs)}
        return self._buffers[frames]

    def transfer(self, data: np.ndarray, frames: int, timeout: float) -> list[np.ndarray]:
        """Send `frames` packed frames and receive as many on every output stream;
        `timeout` covers the batch."""
        fin, fouts = self.package.input, self.package.outputs
        if max(fin.frame_bytes, *(f.frame_bytes for f in fouts)) > DMA_MAX_BYTES:
            raise QnnflowError(f"a frame exceeds the DMA's {DMA_MAX_BYTES}-byte transfer limit")
        ibuf, obufs = self._buffers_for(frames)
        ibuf[:] = np.asarray(data, np.uint8).reshape(-1)
        ibuf.flush()
        deadline = time.perf_counter() + timeout
        send = self.dma.sendchannel
        recvs = [dma.recvchannel for dma in self.out_dmas]
        outputs = list(zip(recvs, obufs, fouts, strict=True))

        def arm(frame: int) -> None:
            for recv, obuf, fout in outputs:
                recv.transfer(obuf, start=frame * fout.frame_bytes, nbytes=fout.frame_bytes)

        chunk = max(1, DMA_MAX_BYTES // fin.frame_bytes)
        for first in range(0, frames, chunk):
            count = min(chunk, frames - first)
            arm(first)
            send.transfer(ibuf, start=first * fin.frame_bytes, nbytes=count * fin.frame_bytes)
            for f in range(first, first + count):
                for i, (recv, _, _) in enumerate(outputs):
                    which = f"output {i}" if len(outputs) > 1 else "output"
                    _wait_idle(recv, deadline, f"{which} of frame {f}")
                if f + 1 < first + count:
                    arm(f + 1)
            _wait_idle(send, deadline, "input")
        for obuf in obufs:
            obuf.invalidate()
        return [
            np.array(obuf).reshape(frames, fout.frame_bytes)
            for obuf, fout in zip(obufs, fouts, strict=True)
        ]
