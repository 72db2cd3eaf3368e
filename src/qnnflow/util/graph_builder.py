"""A small helper to assemble ONNX graphs node by node with unique, readable names."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class GraphBuilder:
    """Collects nodes and initializers; `finish` returns a checked ModelProto."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self._names: set[str] = set()

    def _unique(self, name: str) -> str:
        base, n = name, 1
        while name in self._names:
            name = f"{base}_{n}"
            n += 1
        self._names.add(name)
        return name

    def add_input(self, name: str, shape: list[int]) -> str:
        name = self._unique(name)
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    def const(self, name: str, value: np.ndarray, dtype: type = np.float32) -> str:
        name = self._unique(name)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: object) -> str:
        """Add one node named like its output; returns the output tensor name."""
        output = self._unique(output)
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def finish(
        self, outputs: list[tuple[str, list[int]]], name: str, domains: tuple[str, ...] = ()
    ) -> onnx.ModelProto:
        out_infos = [
            helper.make_tensor_value_info(o, TensorProto.FLOAT, shape) for o, shape in outputs
        ]
        graph = helper.make_graph(
            self.nodes, name, self.inputs, out_infos, initializer=self.initializers
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)]
            + [helper.make_opsetid(d, 1) for d in domains],
            producer_name="qnnflow",
        )
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model
