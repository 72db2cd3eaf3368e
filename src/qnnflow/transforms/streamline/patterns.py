"""Graph queries and small edits shared by the streamlining and lowering rewrites."""

from __future__ import annotations

import numpy as np
from onnx import NodeProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.util.basic import get_by_name

from qnnflow.util.names import new_tensor_name

QONNX_DOMAIN = "qonnx.custom_op.general"


def attr(node: NodeProto, name: str, default=None):
    """Value of attribute `name` of `node`, or `default` when it is absent."""
    found = get_by_name(node.attribute, name)
    return helper.get_attribute_value(found) if found is not None else default


def is_graph_output(model: ModelWrapper, tensor: str) -> bool:
    return any(o.name == tensor for o in model.graph.output)


def sole_consumer(model: ModelWrapper, tensor: str) -> NodeProto | None:
    """The only node reading `tensor`; None when it forks, is unread or is a graph output."""
    if is_graph_output(model, tensor):
        return None
    consumers = model.find_consumers(tensor)
    return consumers[0] if len(consumers) == 1 else None


def const_operand(model: ModelWrapper, node: NodeProto) -> tuple[int, np.ndarray] | None:
    """(index of the dynamic input, constant value) of a two-input node with one initializer."""
    if len(node.input) != 2:
        return None
    first, second = (model.get_initializer(name) for name in node.input)
    if (first is None) == (second is None):
        return None
    return (0, second) if second is not None else (1, first)


def const_mul_into(
    model: ModelWrapper, mul: NodeProto, op_types: tuple[str, ...]
) -> tuple[tuple[int, np.ndarray], NodeProto] | None:
    """(const_operand of `mul`, its reader) when `mul` is a Mul by a constant whose output
    only one node of `op_types` reads, as its first input; None otherwise."""
    operand = const_operand(model, mul) if mul.op_type == "Mul" else None
    reader = sole_consumer(model, mul.output[0]) if operand is not None else None
    if reader is None or reader.op_type not in op_types or reader.input[0] != mul.output[0]:
        return None
    return operand, reader


def channel_vector(value: np.ndarray, shape: list[int], axis: int = 1) -> np.ndarray | None:
    """`value` as one float64 per channel when it broadcasts against a tensor of `shape` along
    `axis` only (a scalar gives a constant vector); None otherwise."""
    value = np.asarray(value, dtype=np.float64)
    rank = len(shape)
    axis %= rank
    if value.ndim > rank:
        return None
    full = (1,) * (rank - value.ndim) + value.shape
    if any(d != 1 for i, d in enumerate(full) if i != axis) or full[axis] not in (1, shape[axis]):
        return None
    return np.broadcast_to(value.reshape(-1), (shape[axis],)).copy()


def channel_axis(node: NodeProto) -> int:
    """The channel axis a MultiThreshold reads: last for NHWC/NWC layouts, else 1."""
    layout = attr(node, "data_layout", b"")
    layout = layout.decode() if isinstance(layout, bytes) else layout
    return layout.index("C") if layout and "C" in layout else 1


def integer_datatype(values: np.ndarray, bipolar: bool = True) -> DataType:
    """Smallest qonnx datatype holding integer `values`: BIPOLAR for +-1 only (if `bipolar`),
    else UINTn for non-negative values and INTn otherwise."""
    values = np.asarray(values)
    if bipolar and values.size and np.isin(values, (-1, 1)).all():
        return DataType["BIPOLAR"]
    low, high = int(values.min(initial=0)), int(values.max(initial=0))
    prefix = "UINT" if low >= 0 else "INT"
    for bits in range(1 if low >= 0 else 2, 65):
        dtype = DataType["BINARY" if (prefix, bits) == ("UINT", 1) else f"{prefix}{bits}"]
        if dtype.min() <= low and high <= dtype.max():
            return dtype
    raise ValueError("integer values exceed 64 bits")


def holds(dtype: DataType | None, values: np.ndarray) -> bool:
    """True when every value lies in `dtype`'s range (BIPOLAR: exactly +-1)."""
    if dtype is None or not dtype.is_integer():
        return False
    if dtype == DataType["BIPOLAR"]:
        return bool(np.isin(values, (-1, 1)).all())
    return bool(dtype.min() <= values.min() and values.max() <= dtype.max())


def new_initializer(
    model: ModelWrapper, base: str, value: np.ndarray, dtype: type = np.float32
) -> str:
    """An initializer (float32 unless `dtype`) under a fresh name derived from `base`."""
    name = new_tensor_name(model, base)
    model.set_initializer(name, np.asarray(value, dtype=dtype))
    return name


def new_tensor(model: ModelWrapper, shape: list[int] | None, base: str) -> str:
    """A fresh intermediate tensor named after `base` (its producer), shape recorded if known."""
    name = new_tensor_name(model, base)
    if shape is not None:
        model.set_tensor_shape(name, list(shape))
    return name


def swap_past(
    model: ModelWrapper,
    first: NodeProto,
    second: NodeProto,
    data_index: int,
    middle_shape: list[int] | None = None,
) -> None:
    """first -> second  ==>  second -> first, for a `first` whose input `data_index` is its only
    dynamic input and whose output feeds `second`'s input 0 only. `second`'s output keeps its
    name (now produced by `first`); the tensor between them gets a fresh name. The two nodes
    trade places in the node list (so it stays topologically sorted): afterwards the object
    `first` holds `second`'s content and vice versa. The new middle tensor has `second`'s
    output shape unless `middle_shape` says otherwise (e.g. when `first` is a Transpose)."""
    source, end = first.input[data_index], second.output[0]
    middle_base = f"{second.name or second.op_type}_out"
    middle = new_tensor(model, middle_shape or model.get_tensor_shape(end), middle_base)
    second.input[0] = source
    second.output[0] = middle
    first.input[data_index] = middle
    first.output[0] = end
    held = NodeProto()
    held.CopyFrom(first)
    first.CopyFrom(second)
    second.CopyFrom(held)


class Matches:
    """Collects matches, skipping any that shares a node with one already taken, so a pass
    never edits a node twice (model.transform repeats the pass to a fixed point)."""

    def __init__(self) -> None:
        self.items: list[tuple] = []
        self._used: set[str] = set()

    def add(self, nodes: tuple[NodeProto, ...], *data) -> None:
        keys = {n.output[0] for n in nodes}
        if keys & self._used:
            return
        self._used |= keys
        self.items.append((*nodes, *data))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self):
        return iter(self.items)
