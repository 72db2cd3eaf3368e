"""`Accelerator`: the hardware region of a detector behind one call. It checks and packs a
batch into the DMA's byte layout, moves it through a backend and unpacks the answer back to
normal NHWC integers, timing each stage.

Backends (all take the DMA's bytes and return one byte array per output stream):
  "pynq"   the board: overlay, DMA, weight images in DDR (`pynq_backend`);
  "sim"    the g++ simulation of the generated C++ accelerator (`sim_backends`, off board);
  "python" qonnx's numpy execution of the hardware layers, only for when the HLS kernels
           are not available; it is not the C++ accelerator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qnnflow.driver.formats import StreamFormat, pack_frames, unpack_frames
from qnnflow.driver.package import AcceleratorPackage, load_package
from qnnflow.errors import QnnflowError

BACKENDS = ("pynq", "sim", "python")
DEFAULT_TIMEOUT_S = 10.0


@dataclass
class Timings:
    """Seconds per stage of the last `execute` (and the frames it ran)."""

    frames: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


class Accelerator:
    """Open a driver package with a backend; `execute` runs batches through the hardware."""

    def __init__(
        self,
        package_dir: str | Path | AcceleratorPackage,
        backend: str = "pynq",
        timeout: float = DEFAULT_TIMEOUT_S,
        **backend_options,
    ):
        self.package = (
            package_dir
            if isinstance(package_dir, AcceleratorPackage)
            else load_package(package_dir)
        )
        if backend not in BACKENDS:
            raise QnnflowError(f"unknown backend '{backend}' (choose from {', '.join(BACKENDS)})")
        if timeout <= 0:
            raise QnnflowError(f"timeout must be positive, got {timeout}")
        self.timeout = float(timeout)
        self.backend = _make_backend(backend, self.package, backend_options)
        self.last = Timings()

    @property
    def input_format(self) -> StreamFormat:
        return self.package.input

    @property
    def output_format(self) -> StreamFormat:
        return self.package.output

    @property
    def output_formats(self) -> tuple[StreamFormat, ...]:
        return self.package.outputs

    def execute(self, batch: np.ndarray, timeout: float | None = None) -> np.ndarray:
        """[N, *input shape[1:]] integers (NHWC) -> [N, *output shape[1:]] int64 (NHWC), for
        an accelerator with one output stream (`execute_all` returns every stream)."""
        if len(self.output_formats) != 1:
            raise QnnflowError(
                f"the accelerator has {len(self.output_formats)} output streams: use "
                "execute_all, which returns one array per stream"
            )
        return self.execute_all(batch, timeout)[0]

    def execute_all(self, batch: np.ndarray, timeout: float | None = None) -> list[np.ndarray]:
        """[N, *input shape[1:]] integers (NHWC) -> one [N, *shape[1:]] int64 (NHWC) array
        per output stream, in the package's output order."""
        frames = int(np.shape(batch)[0]) if np.ndim(batch) else 0
        if frames < 1:
            raise QnnflowError(
                f"execute takes a batch [N, {', '.join(map(str, self.input_format.shape[1:]))}]"
                f" with N >= 1, got shape {list(np.shape(batch))}"
            )
        times: dict[str, float] = {}
        began = time.perf_counter()
        data = pack_frames(self.input_format, batch)
        times["pack"] = time.perf_counter() - began
        began = time.perf_counter()
        raw = self.backend.transfer(data, frames, self.timeout if timeout is None else timeout)
        times["accelerator"] = time.perf_counter() - began
        began = time.perf_counter()
        if len(raw) != len(self.output_formats):
            raise QnnflowError(
                f"the {self.backend.name} backend returned {len(raw)} output stream(s), the "
                f"package has {len(self.output_formats)}"
            )
        out = [unpack_frames(f, r, frames) for f, r in zip(self.output_formats, raw, strict=True)]
        times["unpack"] = time.perf_counter() - began
        self.last = Timings(frames, times)
        return out


def _make_backend(name: str, package: AcceleratorPackage, options: dict):
    if name == "pynq":
        from qnnflow.driver.pynq_backend import PynqBackend

        return PynqBackend(package, **options)
    from qnnflow.driver.sim_backends import PythonBackend, SimBackend

    return SimBackend(package, **options) if name == "sim" else PythonBackend(package, **options)
