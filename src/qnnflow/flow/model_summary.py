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


def _conv_macs(model: ModelWrapper, node) -> int:
    weight = model.get_initializer(node.input[1])
    out_shape = model.get_tensor_shape(node.output[0])
    if weight is None or out_shape is None:
        return 0
    per_output = int(np.prod(weight.shape[1:]))
    return int(np.prod(out_shape)) * per_output


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
        if node.op_type in ("Conv", "MatMul"):
            macs = _conv_macs(model, node)
        elif node.domain == DOMAIN:
            macs = getCustomOp(node).macs()
        rows.append(NodeSummary(node.name, node.op_type, [int(d) for d in shape], params, macs))
    return rows
