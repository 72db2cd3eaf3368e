"""qonnx's sanitize_quant_values, vectorized, for util.graph_exec: integer-annotated tensors
are checked in a few reductions (qonnx takes a Python max() over every element) and rounded
as qonnx rounds them; a tensor too far from its integers is named in a QnnflowError."""

from __future__ import annotations

import warnings

import numpy as np
from qonnx.core.datatype import BaseDataType, BipolarType, DataType, IntType, TernaryType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.util.basic import get_execution_error_thresh

from qnnflow.errors import QnnflowError

__all__ = ["all_allowed", "datatypes", "sanitize_tensor"]


def all_allowed(dtype: BaseDataType, values: np.ndarray) -> bool:
    """dtype.allowed(values).all() in a few reductions (qonnx's BIPOLAR check sorts)."""
    values = np.asarray(values)
    if values.size == 0:
        return True
    if isinstance(dtype, BipolarType):
        return bool(np.all(np.abs(values) == 1))
    if type(dtype) not in (IntType, TernaryType):
        return bool(np.all(dtype.allowed(values)))
    low, high = values.min(), values.max()
    if not (dtype.min() <= low and high <= dtype.max()):  # NaN fails here too
        return False
    return bool(np.array_equal(np.round(values), values))


def _python_max(values: np.ndarray):
    """What builtin max() (qonnx's) returns over `values`' elements (NaN only when the first
    is NaN; later NaNs never compare greater), without iterating in Python."""
    flat = values.reshape(-1)
    if flat.size == 0 or np.isnan(flat[0]):
        return flat[0] if flat.size else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN tails cannot happen here
        return np.nanmax(flat)


def sanitize_tensor(name: str, dtype: BaseDataType, context: dict) -> None:
    """qonnx's sanitize_quant_values for one tensor: values of an integer datatype that are
    not allowed are rounded (with qonnx's warning) when within the execution error threshold
    of an integer, else an error names the tensor."""
    values = context.get(name)
    if values is None or not dtype.is_integer() or all_allowed(dtype, values):
        return
    rounded = np.round(values)
    warnings.warn(
        f"The values of tensor {name} can't be represented with the set datatype annotation "
        f"({dtype.name}), they will be rounded to match the datatype annotation.",
        stacklevel=2,
    )
    error = _python_max(np.abs(values - rounded))
    if not error <= get_execution_error_thresh():
        raise QnnflowError(
            f"tensor '{name}': values differ from {dtype.name} integers by up to {error:g}"
        )
    context[name] = rounded


def datatypes(model: ModelWrapper, names: set[str]) -> dict[str, BaseDataType]:
    """model.get_tensor_datatype for each name, from one pass over the annotations (the
    wrapper searches all of them per call)."""
    annotated = {}
    for annotation in model.graph.quantization_annotation:
        for pair in annotation.quant_parameter_tensor_names:
            if pair.key == "finn_datatype":
                annotated.setdefault(annotation.tensor_name, DataType[pair.value])
                break
    return {n: annotated.get(n) or model.get_tensor_datatype(n) for n in sorted(names)}
