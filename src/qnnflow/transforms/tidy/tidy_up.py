"""Shapes, datatypes, folded constants and unique names, keeping readable tensor names."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.fold_constants import FoldConstants
from qonnx.transformation.general import (
    GiveUniqueParameterTensors,
    RemoveStaticGraphInputs,
    RemoveUnusedTensors,
)
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

QUANT_OPS = ["Quant", "BipolarQuant", "Trunc", "QuantizeLinear", "DequantizeLinear"]


class TidyUp(Transformation):
    """qonnx's cleanup without GiveReadableTensorNames, so the importer's layer names survive
    (they are what a user sees in Netron and what the per-layer metadata points to)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for node in model.graph.node:
            if node.op_type in ("Quant", "BipolarQuant", "Trunc"):
                node.domain = "qonnx.custom_op.general"
        for transform in (
            InferShapes(),
            GiveUniqueParameterTensors(),
            FoldConstants(exclude_op_types=QUANT_OPS),
            RemoveUnusedTensors(),
            RemoveStaticGraphInputs(),
            InferDataTypes(),
        ):
            model = model.transform(transform)
        unnamed = [n for n in model.graph.node if not n.name]
        for i, node in enumerate(unnamed):
            node.name = f"{node.op_type}_{i}"
        return model, False
