"""One renderer module per hardware op type: `render(model, node) -> LayerCode` maps the
op's attributes and initializers to kernel template parameters and parameter files."""

from __future__ import annotations

import importlib

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.layer_code import LayerCode
from qnnflow.errors import QnnflowError

RENDERER_MODULES = {
    "MatrixVectorUnit": "qnnflow.backends.hls.ops.mvu",
    "Thresholding": "qnnflow.backends.hls.ops.thresholding",
    "SlidingWindow": "qnnflow.backends.hls.ops.sliding_window",
    "StreamingMaxPool": "qnnflow.backends.hls.ops.maxpool",
    "ZeroPad": "qnnflow.backends.hls.ops.pad",
    "WidthConverter": "qnnflow.backends.hls.ops.width_converter",
    "StreamingFIFO": "qnnflow.backends.hls.ops.fifo",
}


def render_node(model: ModelWrapper, node) -> LayerCode:
    """The HLS code of one hardware node; unsupported op types name the node."""
    module = RENDERER_MODULES.get(node.op_type)
    if module is None:
        raise QnnflowError(
            f"{node.op_type} '{node.name}': no HLS backend for this op type "
            f"(supported: {', '.join(sorted(RENDERER_MODULES))})"
        )
    return importlib.import_module(module).render(model, node)
