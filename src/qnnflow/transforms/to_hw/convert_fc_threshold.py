"""Fully connected layers become MatrixVectorUnits of one input vector:

    Gemm/MatMul(x [1, MW], integer W) -> MultiThreshold  ==>  MatrixVectorUnit (thresholds)
    Gemm/MatMul(x [1, MW], integer W)                    ==>  MatrixVectorUnit (accumulator)

numInputVectors is [1] and there is no window in front. A layer whose output feeds a
MultiThreshold that mvu_params refuses is left alone (its thresholds would otherwise stay on
the host between hardware layers). When x is the flatten of a hardware stream, the unit reads
that stream directly (a flatten keeps row-major order, which is the stream's order) and the
flatten goes; AbsorbTransposeIntoFCWeights, run first, makes a flattened NCHW copy of a
hardware stream such a flatten."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.transforms.streamline.patterns import sole_consumer
from qnnflow.transforms.to_hw.absorb_transpose_into_fc_weights import (
    AbsorbTransposeIntoFCWeights,
)
from qnnflow.transforms.to_hw.fc_layers import fc_weight_matrix, flattening
from qnnflow.transforms.to_hw.matches import convertible
from qnnflow.transforms.to_hw.mvu_params import (
    MVUParams,
    NotConvertible,
    fused_threshold_reason,
    make_mvu,
    mvu_params,
)

FC_OP_TYPES = ("Gemm", "MatMul")


def _weights_reason(model: ModelWrapper, fc) -> str:
    """Why fc_weight_matrix refused `fc`."""
    if len(fc.input) != 2:
        return "has a bias input C (streamlining moves a bias behind the scale)"
    if model.get_initializer(fc.input[1]) is None:
        return f"weights '{fc.input[1]}' are not a constant initializer"
    if fc.op_type == "Gemm":
        return "Gemm with alpha != 1 or transA = 1 is not supported"
    return "weights are not a 2D matrix"


def _match(model: ModelWrapper, fc) -> tuple[MVUParams, object] | str:
    """(MVU parameters, the fused MultiThreshold or None) of a convertible layer, else why
    it stays on the host."""
    matrix = fc_weight_matrix(model, fc)
    if matrix is None:
        return _weights_reason(model, fc)
    shape = model.get_tensor_shape(fc.input[0])
    if shape is None or list(shape) != [1, matrix.shape[0]]:
        return f"input shape {shape} is not one vector [1, {matrix.shape[0]}]"
    mt = sole_consumer(model, fc.output[0])
    if mt is not None and (mt.op_type != "MultiThreshold" or mt.input[0] != fc.output[0]):
        mt = None
    try:
        return mvu_params(model, matrix, model.get_tensor_datatype(fc.input[0]), mt), mt
    except NotConvertible as why:
        return str(why)


def _stream_source(model: ModelWrapper, x: str):
    """(tensor the unit reads, flatten node to drop or None): a flatten of a hardware stream
    that nothing else reads is read through."""
    flatten = model.find_producer(x)
    if not flattening(model, flatten) or sole_consumer(model, x) is None:
        return x, None
    producer = model.find_producer(flatten.input[0])
    if producer is None or producer.domain != DOMAIN:
        return x, None
    return flatten.input[0], flatten


class ConvertFCThresholdToHW(Transformation):
    ORDER = 50  # after the conv, pad and max-pool conversions: reads their NHWC streams
    OP_TYPES = (*FC_OP_TYPES, "MultiThreshold")

    @staticmethod
    def decline_reason(model: ModelWrapper, node) -> str | None:
        if node.op_type == "MultiThreshold":
            return fused_threshold_reason(model, node, FC_OP_TYPES, _match)
        match = _match(model, node)
        return match if isinstance(match, str) else None

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        model = model.transform(AbsorbTransposeIntoFCWeights())
        matches = convertible(model, FC_OP_TYPES, _match)
        for fc, (params, mt) in matches:
            self._convert(model, fc, params, mt)
        return model, bool(matches)

    @staticmethod
    def _convert(model: ModelWrapper, fc, params: MVUParams, mt) -> None:
        name = fc.name or fc.output[0]
        source, flatten = _stream_source(model, fc.input[0])
        end = (mt if mt is not None else fc).output[0]  # its readers now read the unit
        mvu, _ = make_mvu(model, params, source, name, [1], output=end)
        position = list(model.graph.node).index(fc)
        model.graph.node.insert(position, mvu)
        for node in (fc, mt, flatten):
            if node is not None:
                model.graph.node.remove(node)
