"""A test double of the few pynq calls the PYNQ backend makes (Overlay, allocate, the AXI
DMA's channels, MMIO writes), installed as `sys.modules["pynq"]` by the tests only.

The DMA model follows the block design: MM2S bytes go to `device(frame_bytes) -> bytes`
frame by frame; each S2MM transfer receives exactly one frame (TLAST), and only while
armed, so a driver that forgets to re-arm the receive channel times out as on the board.
Register writes and buffer addresses are recorded for the assertions.
"""

from __future__ import annotations

from collections import deque

import numpy as np

# set by the test: device, in_bytes, out_bytes, registers, stall, and for an accelerator of
# several output streams output_dmas (the DMA cell of each; device then returns a list of
# frames and out_bytes is a list)
CONFIG: dict = {}
_next_address = [0x1000_0000]


class PynqBuffer(np.ndarray):
    physical_address = 0
    flushed = False

    def flush(self):
        self.flushed = True

    def invalidate(self):
        pass


def allocate(shape, dtype):
    buf = np.zeros(shape, dtype).view(PynqBuffer)
    buf.physical_address = _next_address[0]
    _next_address[0] += (buf.nbytes + 0xFFF) & ~0xFFF
    CONFIG.setdefault("allocated", []).append(buf)
    return buf


class _Send:
    def __init__(self, dma):
        self.dma = dma
        self.idle = True

    def transfer(self, array, start=0, nbytes=0):
        assert self.idle, "MM2S transfer started while busy"
        assert array.flushed, "input buffer not flushed before the DMA reads it"
        data = np.asarray(array).reshape(-1)[start : start + nbytes]
        size = CONFIG["in_bytes"]
        assert nbytes % size == 0, "MM2S length is not whole frames"
        for f in range(nbytes // size):
            if not CONFIG.get("stall"):
                outs = CONFIG["device"](data[f * size : (f + 1) * size])
                outs = outs if isinstance(outs, list) else [outs]
                for dma, out in zip(CONFIG["overlay"].output_dmas, outs, strict=True):
                    dma.results.append(out)


class _Recv:
    def __init__(self, dma):
        self.dma = dma
        self.armed = None
        self.frames = 0

    def transfer(self, array, start=0, nbytes=0):
        assert self.armed is None, "S2MM transfer started while busy"
        sizes = (
            CONFIG["out_bytes"] if isinstance(CONFIG["out_bytes"], list) else [CONFIG["out_bytes"]]
        )
        size = sizes[CONFIG["overlay"].output_dmas.index(self.dma)]
        assert nbytes == size, "S2MM must take one frame per transfer (TLAST)"
        self.armed = (array, start, nbytes)

    @property
    def idle(self):
        if self.armed is None:
            return True
        if not self.dma.results:
            return False
        array, start, nbytes = self.armed
        np.asarray(array).reshape(-1)[start : start + nbytes] = self.dma.results.popleft()
        self.armed = None
        self.frames += 1
        return True


class _Dma:
    def __init__(self, mm2s: bool = True):
        self.results: deque = deque()
        self.recvchannel = _Recv(self)
        if mm2s:  # an extra output's DMA is S2MM only
            self.sendchannel = _Send(self)


class _Mmio:
    def __init__(self):
        self.writes: list[tuple[int, int]] = []

    def write(self, offset, value):
        assert 0 <= value < 1 << 32
        self.writes.append((offset, value))


class Overlay:
    def __init__(self, path):
        self.path = path
        self.dma, self.accel = _Dma(), _Mmio()
        self.output_dmas = [self.dma]
        for name in CONFIG.get("output_dmas", ["dma"])[1:]:
            setattr(self, name, _Dma(mm2s=False))
            self.output_dmas.append(getattr(self, name))
        self.ip_dict = {"accel": {"registers": CONFIG.get("registers", {})}, "dma": {}}
        CONFIG["overlay"] = self
