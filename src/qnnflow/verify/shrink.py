"""The same graph on a smaller image, for checks that cost less: where every op computes the
same function of its window whatever the frame size (convolutions, pools, pads, elementwise
ops with per-channel constants, quantizers, thresholds, the streaming hardware ops), a
transform that keeps a graph's result at H x W keeps it at h x w too.

The small size keeps every window, stride and pad in the same place relative to the border:
h = H mod D + D * m, with D the product of the strides on the way to the most downsampled
tensor (so every floor division leaves the same remainder) and m the least that leaves each
tensor at least MIN_SPATIAL pixels wide (or its full size when smaller). The graph is rebuilt
at that size: input shape, shapes inferred again, the hardware ops' size attributes set from
their inputs. A graph with any op that looks at the whole frame (global pooling, a mean's
1/(H*W) constant), reshapes it, or holds a per-pixel constant stays at full size (None)."""

from __future__ import annotations

import copy
import itertools
import math

from onnx.helper import make_tensor_value_info
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.ops.base import DOMAIN

__all__ = ["candidate_sizes", "input_size", "shrink_to", "shrunk", "stride_product"]

MIN_SPATIAL = 3
SMALL_CONSTANT = 64  # initializers up to this size stay in place for shape inference
MAX_PASSES = 8
# standard and qonnx ops whose result at each position depends on a window, not the frame size
SIZE_FREE = frozenset(
    {
        "Conv", "MaxPool", "AveragePool", "Pad", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip",
        "Mul", "Add", "Sub", "Div", "BatchNormalization", "Transpose", "Concat", "Upsample",
        "Resize", "Identity", "Round", "Floor", "Ceil", "Sign", "Neg", "Abs", "MatMul",
        "Quant", "BipolarQuant", "MultiThreshold", "Trunc",
    }
)  # fmt: skip
FRAME_OPS = frozenset({"GlobalAccPool"})  # hardware ops over the whole frame
# hardware op size attributes, from the NHWC shape of the op's first input
SIZE_ATTRS = {
    "ImgDim": lambda shape, old: list(shape[1:3]) if len(shape) == 4 else old,
    "IFMDim": lambda shape, old: list(shape[1:3]) if len(shape) == 4 else old,
    "numInputVectors": lambda shape, old: list(shape[:-1]) if len(old) == len(shape) - 1 else old,
    "shape": lambda shape, old: list(shape) if len(old) == len(shape) else old,
}


def _strides(node) -> tuple[int, int]:
    """(vertical, horizontal) stride of a windowed op, (1, 1) otherwise."""
    if node.domain == DOMAIN:
        op = getCustomOp(node)
        stride = op.get_nodeattr("Stride") if "Stride" in op.get_nodeattr_types() else 1
        stride = list(stride) if not isinstance(stride, int) else [stride, stride]
        return int(stride[0]), int(stride[-1])
    for attr in node.attribute:
        if attr.name == "strides" and node.op_type in ("Conv", "MaxPool", "AveragePool"):
            return int(attr.ints[0]), int(attr.ints[-1])
    return 1, 1


def stride_product(model: ModelWrapper) -> tuple[int, int]:
    """Least common multiple over all tensors of the stride product on the way to them."""
    product: dict[str, tuple[int, int]] = {model.graph.input[0].name: (1, 1)}
    total = (1, 1)
    for node in model.graph.node:
        ins = [product[t] for t in node.input if t in product] or [(1, 1)]
        sh, sw = _strides(node)
        out = (math.lcm(*(p[0] for p in ins)) * sh, math.lcm(*(p[1] for p in ins)) * sw)
        for tensor in node.output:
            product[tensor] = out
        total = (math.lcm(total[0], out[0]), math.lcm(total[1], out[1]))
    return total


def _size_free(model: ModelWrapper) -> bool:
    for node in model.graph.node:
        if node.domain == DOMAIN:
            if node.op_type in FRAME_OPS:
                return False
        elif node.op_type not in SIZE_FREE:
            return False
    return True


def _spatial_axes(model: ModelWrapper) -> tuple[int, int] | None:
    """Axes of H and W in the graph input: NHWC where a hardware op reads it, else NCHW."""
    name = model.graph.input[0].name
    if len(model.get_tensor_shape(name)) != 4:
        return None
    readers = model.find_consumers(name) or []
    return (1, 2) if any(n.domain == DOMAIN for n in readers) else (2, 3)


def _shapes(model: ModelWrapper) -> dict[str, list[int]]:
    """Every shaped tensor's shape (graph inputs, outputs and value infos), read once."""
    graph = model.graph
    return {
        vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
        for vi in [*graph.input, *graph.output, *graph.value_info]
    }


def _fit_hardware(model: ModelWrapper) -> bool:
    """Set each hardware op's size attributes from its input, in graph order, and its output
    shape from the op; True when anything changed."""
    changed = False
    shapes = _shapes(model)
    for node in model.graph.node:
        if node.domain != DOMAIN:
            continue
        op = getCustomOp(node)
        shape = shapes[node.input[0]]
        for attr, rule in SIZE_ATTRS.items():
            if attr in op.get_nodeattr_types():
                old = list(op.get_nodeattr(attr))
                new = [int(d) for d in rule(shape, old)]
                if new != old:
                    op.set_nodeattr(attr, new)
                    changed = True
        shapes[node.output[0]] = list(op.normal_output_shape())
        model.set_tensor_shape(node.output[0], shapes[node.output[0]])
    return changed


def _infer(model: ModelWrapper) -> ModelWrapper:
    """Shapes inferred afresh; the large initializers stand aside as shaped graph inputs
    meanwhile (ONNX's inference serializes the whole model, weights included)."""
    graph = model.graph
    del graph.value_info[:]
    for output in graph.output:
        output.type.tensor_type.ClearField("shape")
    large = [t for t in graph.initializer if math.prod(t.dims) > SMALL_CONSTANT]
    listed = {i.name for i in graph.input}  # initializers an older exporter lists as inputs
    names = {t.name for t in large} - listed
    small = [t for t in graph.initializer if t not in large]
    del graph.initializer[:]
    graph.initializer.extend(small)
    graph.input.extend(
        make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in large if t.name in names
    )
    inferred = model.transform(InferShapes())
    graph = inferred.graph
    inputs = [i for i in graph.input if i.name not in names]
    moved = [i for i in graph.input if i.name in names]
    del graph.input[:]
    graph.input.extend(inputs)
    graph.value_info.extend(moved)  # as inference records an initializer's shape
    graph.initializer.extend(large)
    return inferred


def _consistent(full: ModelWrapper, small: ModelWrapper) -> bool:
    """Only spatial sizes changed, none below MIN_SPATIAL (unless smaller at full size), no
    Concat joins along a changed axis and the hardware ops agree with their tensors. (A
    constant that spans a changed axis needs no check here: it no longer broadcasts with its
    smaller operand, so shape inference fails or leaves that tensor unshaped.)"""
    constants = {init.name for init in full.graph.initializer}
    big_shapes, small_shapes = _shapes(full), _shapes(small)
    tensors = [t for n in full.graph.node for t in (*n.input, *n.output) if t]
    for name in {*tensors, *(o.name for o in full.graph.output)} - constants:
        big, little = big_shapes.get(name), small_shapes.get(name)
        if big is None or little is None or len(big) != len(little):
            return False
        if any(s < min(b, MIN_SPATIAL) for b, s in zip(big, little, strict=True)):
            return False
    for node in small.graph.node:
        if node.op_type == "Concat":
            big, little = big_shapes[node.output[0]], small_shapes[node.output[0]]
            axis = next(a.i for a in node.attribute if a.name == "axis") % len(big)
            if big[axis] != little[axis]:
                return False
        if node.domain == DOMAIN:
            op = getCustomOp(node)
            if tuple(op.normal_input_shape()) != tuple(small_shapes[node.input[0]]):
                return False
    return True


def _rebuild(model: ModelWrapper, size: tuple[int, int], axes: tuple[int, int]):
    small = copy.deepcopy(model)
    shape = list(model.get_tensor_shape(model.graph.input[0].name))
    shape[axes[0]], shape[axes[1]] = size
    small.set_tensor_shape(model.graph.input[0].name, shape)
    try:
        for _ in range(MAX_PASSES):
            small = _infer(small)
            if not _fit_hardware(small):
                return small if _consistent(model, small) else None
    except Exception:  # a size the graph's windows do not fit: not a candidate
        return None
    return None


def candidate_sizes(full: tuple[int, int], strides: tuple[int, int]) -> list[tuple[int, int]]:
    """Sizes below `full` with the same remainders modulo the stride products, least first,
    from the least that leaves the most downsampled tensor MIN_SPATIAL wide."""
    sizes = []
    for m in itertools.count(MIN_SPATIAL):  # m: the width of the most downsampled tensor
        size = tuple(min(f % d + d * m, f) for f, d in zip(full, strides, strict=True))
        if size == full:
            return sizes
        sizes.append(size)


def shrunk(models: list[ModelWrapper]) -> tuple[list[ModelWrapper], tuple[int, int]] | None:
    """`models` (one graph before and after transforms, same input) rebuilt at the least
    smaller size that suits them all, with that size; None when they must stay full size."""
    if not all(_size_free(m) for m in models):
        return None
    axes = _spatial_axes(models[0])
    if axes is None or any(_spatial_axes(m) != axes for m in models[1:]):
        return None
    full = input_size(models[0])
    strides = [stride_product(m) for m in models]
    step = tuple(math.lcm(*(s[i] for s in strides)) for i in range(2))
    for size in candidate_sizes(full, step)[:3]:
        small = [_rebuild(m, size, axes) for m in models]
        if all(s is not None for s in small):
            return small, size
    return None


def shrink_to(model: ModelWrapper, size: tuple[int, int]) -> ModelWrapper | None:
    """`model` rebuilt at `size` (as `shrunk` chose it for its group), or None."""
    axes = _spatial_axes(model)
    if axes is None or not _size_free(model):
        return None
    return _rebuild(model, size, axes)


def input_size(model: ModelWrapper) -> tuple[int, int] | None:
    axes = _spatial_axes(model)
    if axes is None:
        return None
    shape = model.get_tensor_shape(model.graph.input[0].name)
    return int(shape[axes[0]]), int(shape[axes[1]])
