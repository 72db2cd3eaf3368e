"""Edges of the ops' numpy references that the layer tests do not reach: a threshold offset
(ActVal) and a BIPOLAR output, a non-zero pad value, batches and integer dtypes of the window
generator, the input checks of the concat, add, upsample and fork references, and an add
exact past float32 (found by `make mutation`)."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.errors import QnnflowError
from qnnflow.ops.pad import pad_nhwc
from qnnflow.ops.sliding_window import sliding_windows
from tests.backends.hls.test_add_cpp import add_model
from tests.ops.helpers import op_of, single_node_model
from tests.ops.test_concat_upsample_duplicate import concat_model, duplicate_model


@pytest.mark.parametrize("act_val", [-2, 1])
def test_thresholding_adds_its_activation_offset(act_val):
    thresholds = np.array([[0, 2, 4]] * 3, np.float32)
    model = single_node_model(
        "Thresholding",
        [1, 1, 2, 3],
        [1, 1, 2, 3],
        {"T": thresholds},
        NumChannels=3,
        PE=1,
        numInputVectors=[1, 1, 2],
        numThresholds=3,
        ActVal=act_val,
        inputDataType="INT8",
        outputDataType="INT4",
    )
    x = np.array([[[[-1, 0, 1], [2, 3, 9]]]])
    counts = np.array([[[[0, 1, 1], [2, 2, 3]]]])
    np.testing.assert_array_equal(op_of(model).reference(x, thresholds), counts + act_val)


def test_thresholding_into_bipolar_maps_counts_to_plus_minus_one():
    thresholds = np.array([[0], [5]], np.float32)
    model = single_node_model(
        "Thresholding",
        [1, 3, 2],
        [1, 3, 2],
        {"T": thresholds},
        NumChannels=2,
        PE=1,
        numInputVectors=[1, 3],
        numThresholds=1,
        inputDataType="INT8",
        outputDataType="BIPOLAR",
    )
    x = np.array([[[-1, 4], [0, 5], [7, -9]]])
    expected = [[[-1, -1], [1, 1], [1, -1]]]
    np.testing.assert_array_equal(op_of(model).reference(x, thresholds), expected)


def test_add_reference_checks_inputs_and_adds_exactly():
    op = op_of(add_model([1, 2, 3], "INT26"))
    with pytest.raises(QnnflowError, match=r"^StreamingAdd 'add': got 1 inputs, expected 2$"):
        op.reference(np.zeros((1, 2, 3)))
    with pytest.raises(
        QnnflowError,
        match=r"^StreamingAdd 'add': input 1 has shape \(1, 3, 2\), expected \(1, 2, 3\)$",
    ):
        op.reference(np.zeros((1, 2, 3)), np.zeros((1, 3, 2)))
    a = np.full((1, 2, 3), 2**24, np.float32)
    b = np.ones((1, 2, 3), np.float32)  # 2**24 + 1 is no float32: the sum is in float64
    np.testing.assert_array_equal(op.reference(a, b), np.full((1, 2, 3), 2**24 + 1))


def test_upsample_reference_names_the_bad_shape():
    model = single_node_model(
        "Upsample",
        [1, 2, 3, 4],
        [1, 4, 6, 4],
        ImgDim=[2, 3],
        Factor=[2, 2],
        NumChannels=4,
        SIMD=1,
        inputDataType="INT3",
        outputDataType="INT3",
    )
    with pytest.raises(
        QnnflowError,
        match=r"^Upsample 'Upsample_0': input has shape \(1, 3, 2, 4\), expected \(1, 2, 3, 4\)$",
    ):
        op_of(model).reference(np.zeros((1, 3, 2, 4)))


def test_pad_uses_the_given_value():
    x = np.ones((1, 1, 2, 1))
    padded = pad_nhwc(x, [1, 0, 0, 1], value=-7)
    np.testing.assert_array_equal(padded[0, :, :, 0], [[-7, -7, -7], [1, 1, -7]])
    assert pad_nhwc(x, [1, 0, 0, 0])[0, 0, 0, 0] == 0


def test_windows_keep_batch_and_integer_dtype():
    x = np.arange(2 * 3 * 3 * 2, dtype=np.int64).reshape(2, 3, 3, 2)
    windows = sliding_windows(x, [2, 2], [1, 1])
    assert windows.shape == (2, 2, 2, 8) and windows.dtype == np.int64
    np.testing.assert_array_equal(
        windows[1, 0, 1], np.concatenate([x[1, 0, 1:3], x[1, 1, 1:3]]).ravel()
    )


def test_concat_reference_checks_inputs():
    op = op_of(concat_model(2, 2, [2, 3], ["UINT2", "UINT2"], "UINT2"))
    with pytest.raises(QnnflowError, match=r"^StreamingConcat 'concat': got 1 inputs, expected 2$"):
        op.reference(np.zeros((1, 2, 2, 2)))
    with pytest.raises(
        QnnflowError,
        match=r"^StreamingConcat 'concat': input 1 has shape \(1, 2, 2, 2\), "
        r"expected \(1, 2, 2, 3\)$",
    ):
        op.reference(np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 2, 2)))


def test_fork_reference_checks_its_input_and_outputs_float32_copies():
    model = duplicate_model(2, 1)
    op = op_of(model)
    with pytest.raises(
        QnnflowError, match=r"^DuplicateStreams 'dup': input has shape \(1, 3, 4, 7\), expected"
    ):
        op.reference(np.zeros((1, 3, 4, 7)))
    x = np.random.default_rng(0).integers(0, 8, size=(1, 3, 4, 8))
    context = {"x": x.astype(np.float64)}
    op.execute_node(context, model.graph)
    assert context["y0"].dtype == np.float32 and context["y1"].dtype == np.float32
    np.testing.assert_array_equal(context["y0"], x)
    context["y0"][0, 0, 0, 0] = 99  # copies, not one shared array
    assert context["y1"][0, 0, 0, 0] == x[0, 0, 0, 0]


def test_hw_op_execute_gives_float32_of_the_output_shape():
    model = single_node_model(
        "ZeroPad",
        [1, 1, 2, 1],
        [1, 2, 2, 1],
        ImgDim=[1, 2],
        Padding=[1, 0, 0, 0],
        NumChannels=1,
        SIMD=1,
        inputDataType="UINT4",
        outputDataType="UINT4",
    )
    out = execute_onnx(model, {"x": np.ones((1, 1, 2, 1), np.float64)})["y"]
    assert out.dtype == np.float32 and out.shape == (1, 2, 2, 1)
