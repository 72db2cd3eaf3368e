"""Build one-node hardware models and run them through qonnx's executor."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.ops import DOMAIN


def single_node_model(
    op_type: str,
    in_shape: list[int],
    out_shape: list[int],
    params: dict[str, np.ndarray] | None = None,
    **attrs,
) -> ModelWrapper:
    params = params or {}
    node = helper.make_node(
        op_type, ["x", *params], ["y"], name=f"{op_type}_0", domain=DOMAIN, **attrs
    )
    graph = helper.make_graph(
        [node],
        "one",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        initializer=[
            helper.make_tensor(k, TensorProto.FLOAT, v.shape, v.ravel().tolist())
            for k, v in params.items()
        ],
    )
    model = ModelWrapper(helper.make_model(graph))
    model.set_tensor_datatype("x", DataType[attrs["inputDataType"]])
    return model.transform(InferShapes())


def run(model: ModelWrapper, x: np.ndarray) -> np.ndarray:
    return execute_onnx(model, {"x": x.astype(np.float32)})["y"]


def op_of(model: ModelWrapper):
    return getCustomOp(model.graph.node[0])
