"""A float ONNX graph -> one torch.fx GraphModule of standard torch modules (nn.Conv2d,
nn.Linear, nn.BatchNorm2d, nn.ReLU, ...) and torch.add/mul/cat/reshape calls: the form
Brevitas' graph quantizer walks. Each ONNX node becomes one module named after it (see
`names`), so mixed-precision rules and reports use the ONNX node names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.quant.ptq.onnx_to_fx.activations import ACTIVATION_OPS, convert_activation
from qnnflow.quant.ptq.onnx_to_fx.builder import FxBuilder
from qnnflow.quant.ptq.onnx_to_fx.layers import (
    convert_batchnorm,
    convert_conv,
    convert_gemm,
    convert_matmul,
)
from qnnflow.quant.ptq.onnx_to_fx.tensor_ops import (
    convert_arithmetic,
    convert_concat,
    convert_depth_to_space,
    convert_identity,
    convert_reshape,
    convert_slice,
    convert_transpose,
)
from qnnflow.quant.ptq.onnx_to_fx.windows import (
    convert_avgpool,
    convert_global_pool,
    convert_maxpool,
    convert_pad,
    convert_reduce_mean,
    convert_resize,
)

__all__ = ["SUPPORTED_OPS", "onnx_to_graph_module"]

Converter = Callable[[FxBuilder, onnx.NodeProto], torch.fx.Node]

CONVERTERS: dict[str, Converter] = {
    "Conv": convert_conv,
    "Gemm": convert_gemm,
    "MatMul": convert_matmul,
    "BatchNormalization": convert_batchnorm,
    **{op: convert_activation for op in ACTIVATION_OPS},
    "MaxPool": convert_maxpool,
    "AveragePool": convert_avgpool,
    "GlobalAveragePool": convert_global_pool,
    "GlobalMaxPool": convert_global_pool,
    "ReduceMean": convert_reduce_mean,
    "Resize": convert_resize,
    "Upsample": convert_resize,
    "Pad": convert_pad,
    **{op: convert_arithmetic for op in ("Add", "Sub", "Mul", "Div")},
    "Concat": convert_concat,
    **{op: convert_reshape for op in ("Reshape", "Flatten", "Squeeze", "Unsqueeze")},
    "Transpose": convert_transpose,
    "Slice": convert_slice,
    "DepthToSpace": convert_depth_to_space,
    **{op: convert_identity for op in ("Identity", "Dropout", "Cast")},
}
SUPPORTED_OPS = tuple(sorted([*CONVERTERS, "Constant"]))


def _constant_value(node: onnx.NodeProto) -> object:
    attr = node.attribute[0]
    if attr.name == "value":
        return numpy_helper.to_array(attr.t)
    return helper.get_attribute_value(attr)


def onnx_to_graph_module(model: ModelWrapper, path: Path, class_name: str) -> torch.fx.GraphModule:
    """Convert a shape-inferred float ONNX model (one NCHW or (N, F) input, static shapes);
    an op outside SUPPORTED_OPS is one OnnxError naming the node, op and the supported list."""
    b = FxBuilder(model, path)
    graph_input = model.graph.input[0].name
    b.bind(graph_input, b.graph.placeholder(b.names.claim(graph_input, "x")))
    for index, node in enumerate(model.graph.node):
        b.node, b.node_index = node, index
        if node.output and node.output[0] in b.skipped:
            continue
        if node.op_type == "Constant":
            b.consts[node.output[0]] = np.asarray(_constant_value(node))
            continue
        if node.domain not in ("", "ai.onnx") or node.op_type not in CONVERTERS:
            raise b.fail(
                f"op type '{node.op_type}' is not supported for PTQ; supported: "
                + ", ".join(SUPPORTED_OPS)
            )
        b.bind(node.output[0], CONVERTERS[node.op_type](b, node))
    b.node = None
    return b.finish(class_name)
