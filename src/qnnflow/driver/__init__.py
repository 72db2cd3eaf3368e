"""Host runtime of a built accelerator, for the PYNQ-Z2's ARM as well as this machine.

Everything importable from here needs only numpy (pynq is imported by the pynq backend,
qonnx by the simulation backends and by `qnnflow.backends.deploy.export`, which runs at build time).
"""

from qnnflow.driver.accelerator import BACKENDS, Accelerator, Timings
from qnnflow.driver.formats import StreamFormat, pack_frames, unpack_frames
from qnnflow.driver.host_graph import HostGraph, HostNode
from qnnflow.driver.package import AcceleratorPackage, WeightImage, load_package
from qnnflow.driver.pipeline import DetectionPipeline, PipelineResult

__all__ = [
    "BACKENDS",
    "Accelerator",
    "AcceleratorPackage",
    "DetectionPipeline",
    "HostGraph",
    "HostNode",
    "PipelineResult",
    "StreamFormat",
    "Timings",
    "WeightImage",
    "load_package",
    "pack_frames",
    "unpack_frames",
]
