"""The HLS renderer registry: each renderer module declares its op with @renders; nothing
else lists them."""

from __future__ import annotations

import pytest

from qnnflow.backends.hls.ops import RENDERER_MODULES, render_node
from qnnflow.backends.hls.renderers import RENDERERS, renders
from qnnflow.errors import QnnflowError
from tests.ops.helpers import single_node_model


def test_every_renderer_module_registers_its_op():
    assert RENDERER_MODULES == {
        "MatrixVectorUnit": "qnnflow.backends.hls.ops.mvu",
        "SlidingWindow": "qnnflow.backends.hls.ops.sliding_window",
        "StreamingFIFO": "qnnflow.backends.hls.ops.fifo",
        "StreamingMaxPool": "qnnflow.backends.hls.ops.maxpool",
        "Thresholding": "qnnflow.backends.hls.ops.thresholding",
        "WidthConverter": "qnnflow.backends.hls.ops.width_converter",
        "ZeroPad": "qnnflow.backends.hls.ops.pad",
    }


def test_a_second_renderer_for_an_op_is_refused():
    with pytest.raises(ValueError, match="two HLS renderers for ZeroPad"):
        renders("ZeroPad")(lambda model, node: None)
    assert RENDERERS["ZeroPad"].__module__ == "qnnflow.backends.hls.ops.pad"


def test_an_op_without_renderer_is_named():
    model = single_node_model(
        "Upsample",
        [1, 2, 2, 4],
        [1, 4, 4, 4],
        ImgDim=[2, 2],
        Factor=[2, 2],
        NumChannels=4,
        inputDataType="UINT3",
        outputDataType="UINT3",
    )
    with pytest.raises(QnnflowError, match="Upsample 'Upsample_0': no HLS backend"):
        render_node(model, model.graph.node[0])
