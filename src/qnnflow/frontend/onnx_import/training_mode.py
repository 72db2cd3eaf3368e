"""Refuse a graph exported in training mode: its BatchNormalization uses the batch's own
statistics and its Dropout draws random masks, so no two runs agree and nothing downstream
(verify, quantize, hardware) can reproduce it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import ModelProto, helper, numpy_helper

from qnnflow.errors import OnnxError
from qnnflow.frontend.onnx_import.read import node_label

DROPOUT_TRAINING_INPUT = 2  # Dropout(data, ratio, training_mode), opset >= 12

ADVICE = "export the model after model.eval() (torch.onnx.export's default, training=EVAL)"


def _constant_values(proto: ModelProto) -> dict[str, np.ndarray]:
    values = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    for node in proto.graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    values[node.output[0]] = numpy_helper.to_array(attr.t)
    return values


def check_inference_mode(proto: ModelProto, path: Path) -> None:
    """No BatchNormalization with training_mode=1, no Dropout with training_mode true."""
    constants = None
    for index, node in enumerate(proto.graph.node):
        if node.op_type == "BatchNormalization":
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            if attrs.get("training_mode", 0):
                raise OnnxError(
                    f"{node_label(node, index)} has training_mode=1 (the graph was exported "
                    f"in training mode); {ADVICE}",
                    path,
                )
        if node.op_type == "Dropout" and len(node.input) > DROPOUT_TRAINING_INPUT:
            flag = node.input[DROPOUT_TRAINING_INPUT]
            constants = constants if constants is not None else _constant_values(proto)
            if flag and (flag not in constants or bool(np.asarray(constants[flag]).any())):
                raise OnnxError(
                    f"{node_label(node, index)} drops values at random (training_mode "
                    f"'{flag}' is true or not a constant); {ADVICE}",
                    path,
                )
