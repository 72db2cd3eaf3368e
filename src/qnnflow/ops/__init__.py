"""Hardware ops (qonnx custom ops in domain `qnnflow.ops`), one class per layer type.

qonnx's registry finds a node's class by importing the node's domain and looking the op type
up in `__all__`, so every op class is listed here."""

from qnnflow.ops.base import DOMAIN, FoldingError, HWOp
from qnnflow.ops.concat import StreamingConcat
from qnnflow.ops.duplicate_streams import DuplicateStreams
from qnnflow.ops.maxpool import StreamingMaxPool
from qnnflow.ops.mvu import MatrixVectorUnit
from qnnflow.ops.pad import ZeroPad
from qnnflow.ops.sliding_window import SlidingWindow
from qnnflow.ops.stream_plumbing import StreamingFIFO, WidthConverter
from qnnflow.ops.thresholding import Thresholding
from qnnflow.ops.upsample import Upsample

__all__ = [
    "DOMAIN",
    "DuplicateStreams",
    "FoldingError",
    "HWOp",
    "MatrixVectorUnit",
    "ZeroPad",
    "SlidingWindow",
    "StreamingConcat",
    "StreamingFIFO",
    "StreamingMaxPool",
    "Thresholding",
    "Upsample",
    "WidthConverter",
]
