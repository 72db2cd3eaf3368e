"""Insert a WidthConverter on every stream between hardware nodes whose words differ:
producer -(PE elems/word)-> consumer(SIMD elems/word)  ==>  producer -> WidthConverter -> consumer.
Every stream input is checked (a StreamingConcat has several). Run after folding;
re-running is a no-op once widths match."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.ops.stream_order import sync_passthrough_replays
from qnnflow.util.names import new_tensor_name


class InsertWidthConverters(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        mismatches = []
        for consumer in hw_nodes(model):
            for index, tensor in enumerate(consumer.input):
                producer = model.find_producer(tensor) if tensor else None
                if producer is None or producer.domain != DOMAIN:
                    continue
                out_elems = hw_op(producer).folded_output_shape()[-1]
                op = hw_op(consumer)  # only multi-stream ops (concat) take an input index
                in_shape = op.folded_input_shape(index) if index else op.folded_input_shape()
                if out_elems != in_shape[-1]:
                    mismatches.append((producer, consumer, index, out_elems, in_shape[-1]))
        for producer, consumer, index, out_elems, in_elems in mismatches:
            tensor = consumer.input[index]
            shape = [int(d) for d in model.get_tensor_shape(tensor)]
            dtype = hw_op(producer).output_dtype().name
            name = f"{consumer.name}_dwc" + (str(index) if index else "")
            converted = new_tensor_name(model, f"{name}_out")
            node = helper.make_node(
                "WidthConverter",
                [tensor],
                [converted],
                name=name,
                domain=DOMAIN,
                shape=shape,
                inElems=out_elems,
                outElems=in_elems,
                inputDataType=dtype,
                outputDataType=dtype,
            )
            model.graph.node.insert(list(model.graph.node).index(consumer), node)
            consumer.input[index] = converted
            model.set_tensor_shape(converted, shape)
            model.set_tensor_datatype(converted, hw_op(producer).output_dtype())
        sync_passthrough_replays(model)
        return model, False
