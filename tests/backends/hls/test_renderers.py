"""The HLS renderer registry: each renderer module declares its op with @renders; nothing
else lists them."""

from __future__ import annotations

import pytest

from qnnflow.backends.hls.ops import RENDERER_MODULES, render_node
from qnnflow.backends.hls.renderers import RENDERERS, renders
from qnnflow.errors import QnnflowError


def test_every_renderer_module_registers_its_op():
    assert RENDERER_MODULES == {
        "DuplicateStreams": "qnnflow.backends.hls.ops.duplicate_streams",
        "GlobalAccPool": "qnnflow.backends.hls.ops.global_pool",
        "MatrixVectorUnit": "qnnflow.backends.hls.ops.mvu",
        "SlidingWindow": "qnnflow.backends.hls.ops.sliding_window",
        "StreamingAdd": "qnnflow.backends.hls.ops.add",
        "StreamingConcat": "qnnflow.backends.hls.ops.concat",
        "StreamingFIFO": "qnnflow.backends.hls.ops.fifo",
        "StreamingMaxPool": "qnnflow.backends.hls.ops.maxpool",
        "Thresholding": "qnnflow.backends.hls.ops.thresholding",
        "Upsample": "qnnflow.backends.hls.ops.upsample",
        "WidthConverter": "qnnflow.backends.hls.ops.width_converter",
        "ZeroPad": "qnnflow.backends.hls.ops.pad",
    }


def test_a_second_renderer_for_an_op_is_refused():
    with pytest.raises(ValueError, match="two HLS renderers for ZeroPad"):
        renders("ZeroPad")(lambda model, node: None)
    assert RENDERERS["ZeroPad"].__module__ == "qnnflow.backends.hls.ops.pad"


def test_an_op_without_renderer_is_named():
    from tests.ops.test_new_op_contract import toy_chain  # registers ToyIncrement

    model = toy_chain()
    with pytest.raises(QnnflowError, match="ToyIncrement 'toy0': no HLS backend"):
        render_node(model, model.graph.node[0])
