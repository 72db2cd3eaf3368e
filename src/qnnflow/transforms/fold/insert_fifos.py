"""Insert a StreamingFIFO on every stream between two hardware nodes:
producer -> consumer  ==>  producer -> StreamingFIFO(depth) -> consumer.

Depth rule: a linear pipeline with back-pressure cannot deadlock, so FIFO depth only changes
throughput; every FIFO gets `depth` words (default 2, a register slice) unless `depths`
names a larger one for its consumer (e.g. from the C++ cycle simulation). Graphs whose
hardware streams fork (one producer, several consumers) are refused: a fork needs depths
bounded by the other branch's latency, which this rule does not compute."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN
from qnnflow.ops.graph_queries import hw_nodes, hw_op


class InsertFIFOs(Transformation):
    def __init__(self, depth: int = 2, depths: dict[str, int] | None = None):
        super().__init__()
        if depth < 1:
            raise QnnflowError(f"FIFO depth must be >= 1, got {depth}")
        self.depth = depth
        self.depths = depths or {}

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        edges = []
        for consumer in hw_nodes(model):
            if consumer.op_type == "StreamingFIFO":
                continue
            producer = model.find_producer(consumer.input[0])
            if producer is None or producer.domain != DOMAIN:
                continue
            if producer.op_type == "StreamingFIFO":
                continue
            if len(model.find_consumers(consumer.input[0])) > 1:
                raise QnnflowError(
                    f"stream '{consumer.input[0]}' of {producer.name} forks; "
                    "FIFO depths for forks are not computed yet"
                )
            edges.append((producer, consumer))
        for producer, consumer in edges:
            tensor = consumer.input[0]
            out_op = hw_op(producer)
            shape = [int(d) for d in model.get_tensor_shape(tensor)]
            buffered = model.make_new_valueinfo_name()
            node = helper.make_node(
                "StreamingFIFO",
                [tensor],
                [buffered],
                name=f"{consumer.name}_fifo",
                domain=DOMAIN,
                shape=shape,
                depth=self.depths.get(consumer.name, self.depth),
                elemsPerWord=out_op.folded_output_shape()[-1],
                inputDataType=out_op.output_dtype().name,
                outputDataType=out_op.output_dtype().name,
            )
            model.graph.node.insert(list(model.graph.node).index(consumer), node)
            consumer.input[0] = buffered
            model.set_tensor_shape(buffered, shape)
            model.set_tensor_datatype(buffered, out_op.output_dtype())
        return model, False
