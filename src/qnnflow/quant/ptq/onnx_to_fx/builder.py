"""The state one ONNX -> torch.fx conversion carries: constants, static shapes, the fx graph
being built, the modules it calls and the fx value of every ONNX tensor so far."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import OnnxError
from qnnflow.quant.ptq.onnx_to_fx.names import NameTable


class FxBuilder:
    """Turns ONNX tensors into fx values and ONNX nodes into call_module / call_function nodes
    on one root module; `finish` returns the GraphModule."""

    def __init__(self, model: ModelWrapper, path: Path) -> None:
        self.model = model
        self.path = path
        self.graph = torch.fx.Graph()
        self.root = torch.nn.Module()
        self.names = NameTable()
        self.values: dict[str, torch.fx.Node] = {}
        self.consts: dict[str, np.ndarray] = {
            t.name: numpy_helper.to_array(t) for t in model.graph.initializer
        }
        self.opset = next(
            (o.version for o in model.model.opset_import if o.domain in ("", "ai.onnx")), 1
        )
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for node in model.graph.node:
            for tensor in node.input:
                self.consumers.setdefault(tensor, []).append(node)
        self.graph_outputs = {o.name for o in model.graph.output}
        self.skipped: set[str] = set()  # outputs of nodes a converter absorbed (MatMul + Add)
        self.node: onnx.NodeProto | None = None  # the node being converted, for errors
        self.node_index = 0

    # --- errors -------------------------------------------------------------------------
    def fail(self, reason: str) -> OnnxError:
        """An error naming the node being converted, its op type and the reason."""
        node = self.node
        where = f"node '{node.name or self.node_index}' ({node.op_type})" if node else "graph"
        return OnnxError(f"{where}: {reason}", self.path)

    # --- reading the ONNX graph ---------------------------------------------------------
    def attrs(self, node: onnx.NodeProto) -> dict[str, Any]:
        values = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        return {k: v.decode() if isinstance(v, bytes) else v for k, v in values.items()}

    def shape(self, tensor: str) -> list[int]:
        shape = self.model.get_tensor_shape(tensor)
        if shape is None:
            raise self.fail(f"tensor '{tensor}' has no static shape")
        return [int(d) for d in shape]

    def const(self, tensor: str) -> np.ndarray | None:
        """The tensor's value when it is an initializer or a Constant's output, else None."""
        return self.consts.get(tensor) if tensor else None

    def need_const(self, tensor: str, what: str) -> np.ndarray:
        value = self.const(tensor)
        if value is None:
            raise self.fail(f"{what} ('{tensor}') must be a constant initializer")
        return value

    def optional_input(self, node: onnx.NodeProto, index: int) -> str:
        return node.input[index] if len(node.input) > index else ""

    # --- building the fx graph ----------------------------------------------------------
    def value(self, tensor: str) -> torch.fx.Node:
        """The fx value of a tensor; a constant becomes a buffer on the root (get_attr)."""
        if tensor in self.values:
            return self.values[tensor]
        value = self.const(tensor)
        if value is None:
            raise self.fail(f"input '{tensor}' is produced by no earlier node")
        name = self.names.claim(f"const_{tensor}", "const")
        self.root.register_buffer(name, torch.from_numpy(np.array(value)))
        self.values[tensor] = self.graph.get_attr(name)
        return self.values[tensor]

    def module_name(self, suffix: str = "") -> str:
        assert self.node is not None
        fallback = f"{self.node.op_type.lower()}_{self.node_index}"
        return self.names.claim(self.node.name + suffix, fallback + suffix)

    def call_module(
        self, module: torch.nn.Module, inputs: list[torch.fx.Node], suffix: str = ""
    ) -> torch.fx.Node:
        """Add `module` under the node's python-safe name and call it on `inputs`."""
        name = self.module_name(suffix)
        self.root.add_module(name, module.eval())
        return self.graph.create_node("call_module", name, tuple(inputs), name=name)

    def call_function(self, fn: Callable, args: tuple, kwargs: dict | None = None) -> torch.fx.Node:
        name = self.module_name()
        return self.graph.create_node("call_function", fn, args, kwargs or {}, name=name)

    def bind(self, tensor: str, value: torch.fx.Node) -> None:
        self.values[tensor] = value

    def finish(self, class_name: str) -> torch.fx.GraphModule:
        outputs = [self.value(o.name) for o in self.model.graph.output]
        self.graph.output(outputs[0] if len(outputs) == 1 else tuple(outputs))
        module = torch.fx.GraphModule(self.root, self.graph, class_name=class_name)
        return module.eval().float()


def parameter(array: np.ndarray) -> torch.nn.Parameter:
    """A float32 parameter holding a copy of an ONNX constant."""
    return torch.nn.Parameter(torch.from_numpy(np.array(array, dtype=np.float32)))
