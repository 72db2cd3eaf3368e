"""Per-node summary of a graph (shapes, parameters, MACs) for reports and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.ops import DOMAIN


@dataclass
class NodeSummary:
    name: str
    op_type: str
    out_shape: list[int]
    params: int
    macs: int
    hardware: bool


def _weight_shape(model: ModelWrapper, tensor: str) -> list[int] | None:
    """A weight's shape, from its initializer or (computed weights, e.g. a Quant output)
    from shape inference."""
    init = model.get_initializer(tensor)
    return list(init.shape) if init is not None else model.get_tensor_shape(tensor)


def _host_macs(model: ModelWrapper, node) -> int:
    """Multiply-accumulates of a host Conv (per output: Cin/group x kernel), MatMul (per
    output: the weight's rows) or Gemm (the weight's rows, or columns when transB)."""
    if len(node.input) < 2:
        return 0
    weight = _weight_shape(model, node.input[1])
    out_shape = model.get_tensor_shape(node.output[0])
    if not weight or not out_shape or len(weight) < 2:
        return 0
    if node.op_type == "Conv":
        per_output = int(np.prod(weight[1:]))
    elif node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        per_output = weight[1] if trans_b else weight[0]
    else:
        per_output = weight[-2]
    return int(np.prod(out_shape)) * int(per_output)


def summarize(model: ModelWrapper) -> list[NodeSummary]:
    rows = []
    for node in model.graph.node:
        params = 0
        for name in node.input:
            init = model.get_initializer(name) if name else None
            if init is not None:
                params += int(init.size)
        shape = model.get_tensor_shape(node.output[0]) or []
        macs = 0
        if node.op_type in ("Conv", "MatMul", "Gemm"):
            macs = _host_macs(model, node)
        elif node.domain == DOMAIN:
            macs = getCustomOp(node).macs()
        out_shape = [int(d) for d in shape]
        rows.append(
            NodeSummary(node.name, node.op_type, out_shape, params, macs, node.domain == DOMAIN)
        )
    return rows
