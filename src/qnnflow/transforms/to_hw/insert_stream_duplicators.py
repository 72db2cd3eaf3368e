"""A hardware stream read more than once  ==>  producer -> DuplicateStreams -> one output per
reader. An AXI stream has exactly one reader, so every fork of a hardware tensor (YOLOv3's
route layers read one feature map from two branches) needs an explicit fork node.

Each hardware input slot that reads the tensor gets its own output; all host readers and a
graph output share one more output that keeps the tensor's name (the stream leaves the
accelerator once). A tensor read once, or only by the host, is left alone."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.ops.graph_queries import hw_op
from qnnflow.util.names import new_tensor_name


def _readers(model: ModelWrapper, tensor: str) -> tuple[list[tuple], bool]:
    """(hardware (node, input index) slots reading `tensor`, whether the host reads it)."""
    slots, host = [], any(o.name == tensor for o in model.graph.output)
    for node in model.graph.node:
        for index, name in enumerate(node.input):
            if name != tensor:
                continue
            if node.domain == DOMAIN:
                slots.append((node, index))
            else:
                host = True
    return slots, host


class InsertStreamDuplicators(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        forks = []
        for node in model.graph.node:
            if node.domain != DOMAIN or node.op_type == "DuplicateStreams":
                continue
            for tensor in node.output:
                slots, host = _readers(model, tensor)
                if len(slots) + int(host) >= 2 and slots:
                    forks.append((node, tensor, slots, host))
        for producer, tensor, slots, host in forks:
            self._fork(model, producer, tensor, slots, host)
        return model, False

    def _fork(self, model: ModelWrapper, producer, tensor: str, slots: list, host: bool) -> None:
        shape = [int(d) for d in model.get_tensor_shape(tensor)]
        op = hw_op(producer)
        dtype = op.output_dtype()
        source = new_tensor_name(model, f"{producer.name}_fork_in")
        producer.output[list(producer.output).index(tensor)] = source
        model.set_tensor_shape(source, shape)
        model.set_tensor_datatype(source, dtype)
        outputs = []
        for reader, index in slots:
            copy = new_tensor_name(model, f"{producer.name}_fork_out{len(outputs)}")
            reader.input[index] = copy
            model.set_tensor_shape(copy, shape)
            model.set_tensor_datatype(copy, dtype)
            outputs.append(copy)
        if host:
            outputs.append(tensor)
        fork = helper.make_node(
            "DuplicateStreams",
            [source],
            outputs,
            name=f"{producer.name}_fork",
            domain=DOMAIN,
            shape=shape,
            NumOutputStreams=len(outputs),
            SIMD=op.folded_output_shape()[-1],
            inputDataType=dtype.name,
            outputDataType=dtype.name,
        )
        model.graph.node.insert(list(model.graph.node).index(producer) + 1, fork)
