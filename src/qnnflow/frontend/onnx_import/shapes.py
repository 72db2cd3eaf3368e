"""Give an imported graph fixed shapes everywhere: a symbolic batch becomes 1, symbolic
height/width come from --input-size, then shape inference fills every tensor (exporters such
as torch.onnx write no value_info), shape queries on now-static tensors fold to constants,
and a tensor left without a static shape is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import ModelProto, TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.fold_constants import FoldConstants
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.errors import OnnxError
from qnnflow.frontend.onnx_import.read import first_line
from qnnflow.transforms.tidy.tidy_up import QUANT_OPS

NCHW_SPATIAL = (2, 3)


def _dims_text(dims: list) -> str:
    return "[" + ", ".join(str(d) for d in dims) + "]"


def fix_input_shape(proto: ModelProto, input_size: tuple[int, int] | None, path: Path) -> list[int]:
    """Make the graph input's dims concrete in place; returns them."""
    graph = proto.graph
    initializers = {t.name for t in graph.initializer}
    vi = next(i for i in graph.input if i.name not in initializers)
    tensor = vi.type.tensor_type
    if not vi.type.HasField("tensor_type"):
        raise OnnxError(f"input '{vi.name}' is not a tensor", path)
    if tensor.elem_type != TensorProto.FLOAT:
        name = TensorProto.DataType.Name(tensor.elem_type)
        raise OnnxError(f"input '{vi.name}' has element type {name}; expected FLOAT", path)
    if not tensor.HasField("shape") or not tensor.shape.dim:
        raise OnnxError(f"input '{vi.name}' has no shape", path)
    shape = tensor.shape
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param or "?" for d in shape.dim]
    fixed = []
    for axis, dim in enumerate(dims):
        if isinstance(dim, int) and dim > 0:
            size = dim
        elif axis == 0:
            size = 1  # one frame at a time: the accelerator streams single images
        elif input_size is not None and len(dims) == 4 and axis in NCHW_SPATIAL:
            size = input_size[axis - NCHW_SPATIAL[0]]
        else:
            hint = " (give --input-size HxW)" if axis in NCHW_SPATIAL else ""
            raise OnnxError(
                f"input '{vi.name}' has dynamic dims {_dims_text(dims)}: axis {axis} "
                f"('{dim}') is not fixed{hint}",
                path,
            )
        fixed.append(size)
    if input_size is not None and len(fixed) == 4 and tuple(fixed[2:]) != tuple(input_size):
        raise OnnxError(
            f"input '{vi.name}' is {fixed[2]}x{fixed[3]}, but --input-size "
            f"{input_size[0]}x{input_size[1]} was given",
            path,
        )
    for dim, size in zip(tensor.shape.dim, fixed, strict=True):
        dim.Clear()
        dim.dim_value = size
    return fixed


def _clear_derived_shapes(proto: ModelProto) -> None:
    """Drop shapes that may still name a symbolic batch; inference recomputes them."""
    del proto.graph.value_info[:]
    for out in proto.graph.output:
        if out.type.tensor_type.HasField("shape"):
            out.type.tensor_type.ClearField("shape")


def _infer(model: ModelWrapper, path: Path) -> ModelWrapper:
    try:
        return model.transform(InferShapes())
    except Exception as exc:  # noqa: BLE001 - onnx inference errors mean an inconsistent graph
        raise OnnxError(f"shape inference failed: {first_line(exc)}", path) from None


def _static_shape(model: ModelWrapper, tensor: str) -> list[int] | None:
    shape = model.get_tensor_shape(tensor)
    return None if shape is None or any(d <= 0 for d in shape) else [int(d) for d in shape]


def freeze_shape_queries(model: ModelWrapper) -> bool:
    """Shape/Size nodes over tensors of known static shape become constants, in place.

    Exporters write `x.view(x.size(0), -1)` under a symbolic batch as Shape -> Gather ->
    Concat -> Reshape; with the batch fixed the shape is a constant, and folding it gives
    the Reshape (and every later tensor) a static shape. Returns whether any node changed."""
    frozen = []
    for node in model.graph.node:
        if node.op_type not in ("Shape", "Size") or not node.input:
            continue
        shape = _static_shape(model, node.input[0])
        if shape is None:
            continue
        if node.op_type == "Size":
            value = np.array(int(np.prod(shape)), dtype=np.int64)
        else:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            value = np.array(shape[attrs.get("start", 0) : attrs.get("end")], dtype=np.int64)
        frozen.append((node, value))
    for node, value in frozen:
        model.set_initializer(node.output[0], value)
        model.graph.node.remove(node)
    return bool(frozen)


def _unshaped_output(model: ModelWrapper) -> tuple[str, str, list | None] | None:
    """(node, tensor, shape) of the first node output without a static shape, else None."""
    known = {vi.name for vi in (*model.graph.input, *model.graph.output, *model.graph.value_info)}
    known |= {t.name for t in model.graph.initializer}
    for node in model.graph.node:
        for tensor in node.output:
            shape = model.get_tensor_shape(tensor) if tensor in known else None
            if tensor and (shape is None or any(d <= 0 for d in shape)):
                return node.name or node.op_type, tensor, shape
    return None


def _fold(model: ModelWrapper, path: Path) -> ModelWrapper:
    model = model.transform(FoldConstants(exclude_op_types=QUANT_OPS))
    _clear_derived_shapes(model.model)
    return _infer(model, path)


def infer_all_shapes(proto: ModelProto, path: Path) -> ModelWrapper:
    """qonnx shape inference over the whole graph, shape queries folded to constants; every
    tensor must end with a static shape. Constant subgraphs are folded when shapes hinge on
    them (torch exports F.pad's pads as ConstantOfShape/Concat/Slice/... chains)."""
    _clear_derived_shapes(proto)
    model = _infer(ModelWrapper(proto), path)
    if freeze_shape_queries(model) or _unshaped_output(model) is not None:
        model = _fold(model, path)
    unshaped = _unshaped_output(model)
    if unshaped is not None:
        node, tensor, shape = unshaped
        raise OnnxError(
            f"node '{node}' output '{tensor}' has no static shape ({shape}): its size depends "
            "on values computed at run time, or the graph's shapes are inconsistent",
            path,
        )
    return model
