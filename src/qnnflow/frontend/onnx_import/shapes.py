"""Give an imported graph fixed shapes everywhere: a symbolic batch becomes 1, symbolic
height/width come from --input-size, then shape inference fills every tensor (exporters such
as torch.onnx write no value_info), and a tensor left without a shape is named."""

from __future__ import annotations

from pathlib import Path

from onnx import ModelProto, TensorProto
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.errors import OnnxError
from qnnflow.frontend.onnx_import.read import first_line

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


def infer_all_shapes(proto: ModelProto, path: Path) -> ModelWrapper:
    """qonnx shape inference over the whole graph; every tensor must end with a shape."""
    _clear_derived_shapes(proto)
    model = ModelWrapper(proto)
    try:
        model = model.transform(InferShapes())
    except Exception as exc:  # noqa: BLE001 - onnx inference errors mean an inconsistent graph
        raise OnnxError(f"shape inference failed: {first_line(exc)}", path) from None
    known = {vi.name for vi in (*model.graph.input, *model.graph.output, *model.graph.value_info)}
    known |= {t.name for t in model.graph.initializer}
    for node in model.graph.node:
        for tensor in node.output:
            shape = model.get_tensor_shape(tensor) if tensor in known else None
            if tensor and (shape is None or any(d <= 0 for d in shape)):
                raise OnnxError(
                    f"node '{node.name or node.op_type}' output '{tensor}' has no inferable "
                    f"shape ({shape}); the graph's shapes are inconsistent",
                    path,
                )
    return model
