"""Off-board stand-ins for the DMA + accelerator, both taking and returning the exact bytes
the AXI DMA would move, so the driver's packing and control flow are exercised here.

- `SimBackend` ("sim"): decodes the DMA bytes into stream words, runs the g++ simulation
  of the generated C++ accelerator (the same code Vitis HLS synthesises, carried in the
  package's sim/ folder) and encodes the words it writes, in the order it writes them
  (channel-group-major included), as bytes. It needs g++ and hls4ml's ap_types headers,
  nothing else: it runs from the package's runtime copy.
- `PythonBackend` ("python"): the same byte handling around qonnx's numpy execution of the
  hardware layers. It is NOT the C++ accelerator: it exists for when the per-op HLS
  kernels are not yet available, and it derives the group-major output order from the
  package's own description rather than from the hardware.

The python backend needs qonnx and an installed qnnflow (imported lazily) and the package's
model.onnx; neither backend runs on the board.
"""

from __future__ import annotations

import importlib.util
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from qnnflow.driver.formats import StreamFormat, from_stream_order, to_stream_order
from qnnflow.driver.package import MODEL_ONNX, AcceleratorPackage
from qnnflow.driver.sim_build import compile_package_sim
from qnnflow.errors import QnnflowError
from qnnflow.packing import pack, unpack


def renderers_available() -> bool:
    """True when every per-op HLS renderer module of the backend can be imported."""
    from qnnflow.backends.hls.ops import RENDERER_MODULES

    return all(importlib.util.find_spec(m) is not None for m in RENDERER_MODULES.values())


def bytes_to_elements(
    fmt: StreamFormat, data: np.ndarray, frames: int, as_values: bool = False
) -> np.ndarray:
    """DMA bytes -> [frames, elements] in stream order: raw bit codes (what the C++
    simulation's input file may hold), or the tensor's values when `as_values`."""
    words = np.asarray(data, np.uint8).reshape(frames, fmt.words, fmt.word_bytes)
    if as_values:
        values = unpack(words, fmt.per_word, fmt.bits, fmt.signed, fmt.bipolar)
    else:
        values = unpack(words, fmt.per_word, fmt.bits)
    return values.reshape(frames, fmt.elements)


def elements_to_bytes(fmt: StreamFormat, values: np.ndarray, frames: int) -> np.ndarray:
    """[frames, elements] stream-order values -> the bytes the DMA writes to DDR."""
    words = np.asarray(values, np.int64).reshape(frames, fmt.words, fmt.per_word)
    return pack(words, fmt.bits, 8, bipolar=fmt.bipolar).reshape(frames, fmt.frame_bytes)


def _load_model(package: AcceleratorPackage):
    try:
        from qonnx.core.modelwrapper import ModelWrapper
    except ImportError as exc:
        raise QnnflowError(
            f"the simulation backends need qonnx ({exc}); on the board use backend='pynq'"
        ) from None
    path = package.root / MODEL_ONNX
    if not path.is_file():
        raise QnnflowError(f"{path} not found: the simulation backends need the model")
    return ModelWrapper(str(path))


class SimBackend:
    """The package's generated C++ accelerator (sim/, whose streams the export checked
    against accelerator.json) compiled with g++ on first use and run as a subprocess."""

    name = "sim"

    def __init__(self, package: AcceleratorPackage, cache_dir: Path | None = None):
        self.package = package
        self.exe = compile_package_sim(package.root, package.top, cache_dir)

    def transfer(self, data: np.ndarray, frames: int, timeout: float) -> list[np.ndarray]:
        """The input bytes -> the bytes of every output stream (the simulation writes each
        frame's outputs one after another)."""
        ins = bytes_to_elements(self.package.input, data, frames)
        with tempfile.TemporaryDirectory(prefix="qnnflow-driver-sim-") as tmp:
            work = Path(tmp)
            ins.astype("<i8").tofile(work / "in.bin")
            cmd = [str(self.exe), str(frames), str(work / "in.bin"), str(work / "out.bin")]
            try:
                result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise QnnflowError(
                    f"the C++ accelerator simulation did not finish {frames} frame(s) in "
                    f"{timeout:g} s"
                ) from None
            if result.returncode:
                raise QnnflowError(
                    f"C++ simulation failed ({result.returncode}): {result.stderr.strip()}"
                )
            outs = np.fromfile(work / "out.bin", dtype="<i8")
        sizes = [fmt.elements for fmt in self.package.outputs]
        if outs.size != frames * sum(sizes):
            raise QnnflowError(
                f"the simulation wrote {outs.size} elements, expected {frames} x {sum(sizes)}"
            )
        rows = np.split(outs.reshape(frames, sum(sizes)), np.cumsum(sizes)[:-1], axis=1)
        return [
            elements_to_bytes(fmt, row, frames)
            for fmt, row in zip(self.package.outputs, rows, strict=True)
        ]


class PythonBackend:
    """qonnx's numpy execution of the hardware layers behind the same byte interface."""

    name = "python"

    def __init__(self, package: AcceleratorPackage):
        from qnnflow.backends.hls.network import hardware_region

        self.package = package
        self.model = _load_model(package)
        self.region = hardware_region(self.model)

    def transfer(self, data: np.ndarray, frames: int, timeout: float) -> list[np.ndarray]:
        """`timeout` is checked between frames (numpy execution cannot be interrupted)."""
        import time

        from qnnflow.util.node_by_node import NodeByNode

        fin, fouts = self.package.input, self.package.outputs
        normal = from_stream_order(fin, bytes_to_elements(fin, data, frames, as_values=True))
        outs = [np.zeros((frames, fout.elements), np.int64) for fout in fouts]
        keep = [fout.tensor for fout in fouts]
        began = time.perf_counter()
        for f in range(frames):
            feed = {fin.tensor: normal[f : f + 1].astype(np.float32)}
            context = NodeByNode(self.model, feed, keep=keep, order=self.region).finish()
            for out, fout in zip(outs, fouts, strict=True):
                result = np.asarray(context[fout.tensor]).reshape(1, *fout.shape[1:])
                out[f] = to_stream_order(fout, result.astype(np.int64))[0]
            if time.perf_counter() - began > timeout:
                raise QnnflowError(
                    f"the python backend exceeded {timeout:g} s after {f + 1} of {frames} frame(s)"
                )
        return [elements_to_bytes(fout, out, frames) for fout, out in zip(fouts, outs, strict=True)]
