"""The shared graph helpers of the streamline rules: datatypes that hold integer constants, the
channel axis of a thresholding, and the names swap_past gives."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from qonnx.core.datatype import DataType

from qnnflow.transforms.streamline.patterns import (
    channel_axis,
    holds,
    integer_datatype,
    swap_past,
)
from tests.transforms.streamline.graphs import Chain, check, floats, op_types


@pytest.mark.parametrize(
    "values, bipolar, expected",
    [
        ([-1, 1], True, "BIPOLAR"),
        ([1, -1, 1], True, "BIPOLAR"),
        ([-1, 1], False, "INT2"),
        ([1], True, "BIPOLAR"),
        ([], True, "BINARY"),
        ([0], True, "BINARY"),
        ([0, 1], True, "BINARY"),
        ([0, 3], True, "UINT2"),
        ([2, 3], True, "UINT2"),
        ([0, 4], True, "UINT3"),
        ([-1, 0], True, "INT2"),
        ([-2, 1], True, "INT2"),
        ([-1, 2], True, "INT3"),
        ([-4, 3], True, "INT3"),
        ([-5], True, "INT4"),
        ([0, 2**63 - 1], True, "UINT63"),
        ([-(2**63)], True, "INT64"),
    ],
)
def test_integer_datatype_is_the_smallest_that_holds(values, bipolar, expected):
    dtype = integer_datatype(np.array(values, dtype=np.int64), bipolar=bipolar)
    assert dtype == DataType[expected]


def test_integer_datatype_defaults_to_bipolar_and_refuses_more_than_64_bits():
    assert integer_datatype(np.array([-1.0, 1.0])) == DataType["BIPOLAR"]
    with pytest.raises(ValueError, match="^integer values exceed 64 bits$"):
        integer_datatype(np.array([2**64], dtype=object))


@pytest.mark.parametrize(
    "dtype, values, expected",
    [
        (None, [0], False),
        ("FLOAT32", [1.0], False),
        ("BIPOLAR", [-1, 1], True),
        ("BIPOLAR", [-1], True),
        ("BIPOLAR", [1], True),
        ("BIPOLAR", [0, 1], False),
        ("BIPOLAR", [-2, 1], False),
        ("BIPOLAR", [-1, 2], False),
        ("INT3", [-4, 3], True),
        ("INT3", [-5, 0], False),
        ("INT3", [0, 4], False),
        ("UINT2", [0, 3], True),
        ("UINT2", [-1], False),
    ],
)
def test_holds(dtype, values, expected):
    assert holds(None if dtype is None else DataType[dtype], np.array(values)) is expected


@pytest.mark.parametrize(
    "layout, axis", [(None, 1), ("NCHW", 1), ("NHWC", 3), ("NWC", 2), ("NC", 1), ("NHW", 1)]
)
def test_channel_axis_reads_the_data_layout(layout, axis):
    attrs = {} if layout is None else {"data_layout": layout}
    node = helper.make_node("MultiThreshold", ["x", "t"], ["y"], **attrs)
    assert channel_axis(node) == axis


@pytest.mark.parametrize("name, middle", [("pool", "pool_out"), ("", "Relu_out")])
def test_swap_past_names_the_middle_tensor_after_the_second_node(name, middle):
    chain = Chain([1, 2, 3, 3]).op("Mul", np.float32(0.5)).op("Relu")
    model = chain.model([1, 2, 3, 3])
    mul, relu = model.graph.node
    relu.name = name
    swap_past(model, mul, relu, 0)
    first, second = model.graph.node
    assert (first.op_type, second.op_type) == ("Relu", "Mul")
    assert first.output[0] == second.input[0] == middle
    assert model.get_tensor_shape(middle) == [1, 2, 3, 3]
    after = check(chain.model([1, 2, 3, 3]), _Swap(), floats([1, 2, 3, 3]))
    assert op_types(after) == ["Relu", "Mul"]


class _Swap:
    """swap_past as a one-shot transformation, to check the swapped graph computes the same."""

    def apply(self, model):
        if model.graph.node[0].op_type == "Mul":
            swap_past(model, model.graph.node[0], model.graph.node[1], 0)
            return model, False
        return model, False
