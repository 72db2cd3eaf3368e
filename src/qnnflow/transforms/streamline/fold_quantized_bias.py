"""A quantized bias (Brevitas' Int32Bias/Int16Bias: a Quant on a constant bias whose scale is
input scale x weight scale) becomes the constant it always computes:

    Conv(x, W, Quant(b; s, z=0, n bits))  ==>  Conv(x, W, b_q)   b_q = s * clip(round(b / s))
    Gemm(x, W, Quant(c; ...))             ==>  Gemm(x, W, c_q)

b_q is the Quant's own output (qonnx's execution of it), so nothing changes numerically;
QuantWeightsToInteger then moves the constant bias behind the weight scale as it does for a
float bias, and the thresholding after the layer absorbs it. Only a Quant whose every input
is an initializer and whose output is read as the bias input (index 2) of Conv/Gemm nodes is
folded: a weight quantizer stays for QuantWeightsToInteger, which needs its bit width.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import Matches, is_graph_output, new_initializer

BIAS_INPUT = 2  # Conv's B, Gemm's C
BIASED_OPS = ("Conv", "Gemm")


def _reads_only_as_bias(model: ModelWrapper, tensor: str) -> bool:
    consumers = model.find_consumers(tensor)
    if not consumers or is_graph_output(model, tensor):
        return False
    return all(
        c.op_type in BIASED_OPS
        and [i for i, name in enumerate(c.input) if name == tensor] == [BIAS_INPUT]
        for c in consumers
    )


def quant_value(model: ModelWrapper, node) -> np.ndarray:
    """The output of a Quant/BipolarQuant node with constant inputs, as qonnx computes it."""
    context = {name: model.get_initializer(name) for name in node.input}
    getCustomOp(node).execute_node(context, model.graph)
    return np.asarray(context[node.output[0]], dtype=np.float32)


class FoldQuantizedBias(Transformation):
    """Constant bias quantizers become their (dequantized) output."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for node in model.graph.node:
            if node.op_type not in ("Quant", "BipolarQuant"):
                continue
            if any(model.get_initializer(name) is None for name in node.input):
                continue
            if _reads_only_as_bias(model, node.output[0]):
                matches.add((node,))
        for (node,) in matches:
            value = quant_value(model, node)
            folded = new_initializer(model, f"{node.name or node.output[0]}_bias", value)
            for consumer in model.find_consumers(node.output[0]):
                consumer.input[BIAS_INPUT] = folded
            model.graph.node.remove(node)
        return model, bool(matches)
