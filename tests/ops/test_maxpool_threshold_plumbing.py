"""StreamingMaxPool vs onnxruntime MaxPool (with Darknet's asymmetric pads), Thresholding vs
qonnx's MultiThreshold, Pad vs numpy, and the pass-through ops."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from qonnx.custom_op.general.multithreshold import multithreshold

from qnnflow.ops import FoldingError
from tests.ops.helpers import op_of, run, single_node_model


def ort_maxpool(x_nhwc, k, s, pads):
    top, left, bottom, right = pads
    node = helper.make_node(
        "MaxPool",
        ["x"],
        ["y"],
        kernel_shape=[k, k],
        strides=[s, s],
        pads=[top, left, bottom, right],
    )
    graph = helper.make_graph(
        [node],
        "p",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    out = ort.InferenceSession(model.SerializeToString()).run(
        None, {"x": x_nhwc.transpose(0, 3, 1, 2).astype(np.float32)}
    )[0]
    return out.transpose(0, 2, 3, 1)


@pytest.mark.parametrize(
    "h,w,k,s,pads",
    [
        (13, 13, 2, 1, [0, 0, 1, 1]),  # Darknet 2x2 stride 1: right/bottom only
        (7, 5, 2, 2, [0, 0, 1, 1]),  # odd sizes, stride 2, extra right/bottom window
        (8, 8, 2, 2, [0, 0, 0, 0]),
        (6, 7, 3, 1, [1, 1, 1, 1]),
        (1, 1, 2, 1, [0, 0, 1, 1]),
    ],
)
@pytest.mark.parametrize("signed", [False, True])
def test_maxpool_matches_onnxruntime(h, w, k, s, pads, signed):
    rng = np.random.default_rng(h * w + k)
    x = rng.integers(-4 if signed else 0, 4 if signed else 8, size=(1, h, w, 4))
    oh, ow = (h + pads[0] + pads[2] - k) // s + 1, (w + pads[1] + pads[3] - k) // s + 1
    dtype = "INT3" if signed else "UINT3"
    model = single_node_model(
        "StreamingMaxPool",
        [1, h, w, 4],
        [1, oh, ow, 4],
        ImgDim=[h, w],
        Kernel=k,
        Stride=s,
        Pads=pads,
        NumChannels=4,
        PE=2,
        inputDataType=dtype,
        outputDataType=dtype,
    )
    np.testing.assert_array_equal(run(model, x), ort_maxpool(x, k, s, pads))
    op = op_of(model)
    op.check_folding()
    assert op.cycles() == (h + pads[0] + pads[2]) * (w + pads[1] + pads[3]) * 4 // 2


def test_maxpool_rejects_bad_pe():
    model = single_node_model(
        "StreamingMaxPool",
        [1, 4, 4, 6],
        [1, 2, 2, 6],
        ImgDim=[4, 4],
        Kernel=2,
        Stride=2,
        NumChannels=6,
        PE=4,
        inputDataType="UINT3",
        outputDataType="UINT3",
    )
    with pytest.raises(FoldingError, match="PE=4 must divide channels=6"):
        op_of(model).check_folding()


@pytest.mark.parametrize("pe", [1, 3, 9])
def test_thresholding_matches_qonnx_multithreshold(pe):
    rng = np.random.default_rng(pe)
    x = rng.integers(-100, 100, size=(1, 3, 5, 9))
    thresholds = np.sort(rng.integers(-60, 60, size=(9, 7)), axis=1)
    thresholds[0] = [-100, -100, 0, 0, 99, 99, 99]  # ties and extremes
    model = single_node_model(
        "Thresholding",
        [1, 3, 5, 9],
        [1, 3, 5, 9],
        {"T": thresholds.astype(np.float32)},
        NumChannels=9,
        PE=pe,
        numInputVectors=[1, 3, 5],
        numThresholds=7,
        inputDataType="INT8",
        outputDataType="UINT3",
    )
    expected = multithreshold(x.transpose(0, 3, 1, 2), thresholds).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(run(model, x), expected)
    assert op_of(model).cycles() == 15 * 9 // pe


def test_pad_zero_fills_the_border():
    x = np.arange(1, 13).reshape(1, 2, 3, 2)
    model = single_node_model(
        "ZeroPad",
        [1, 2, 3, 2],
        [1, 5, 4, 2],
        ImgDim=[2, 3],
        Padding=[1, 0, 2, 1],
        NumChannels=2,
        SIMD=2,
        inputDataType="UINT4",
        outputDataType="UINT4",
    )
    out = run(model, x)
    assert out.shape == (1, 5, 4, 2)
    np.testing.assert_array_equal(out[0, 1:3, 0:3], x[0])
    assert out.sum() == x.sum()


@pytest.mark.parametrize(
    "op_type,attrs",
    [
        ("StreamingFIFO", {"depth": 64, "elemsPerWord": 4}),
        ("WidthConverter", {"inElems": 2, "outElems": 8}),
    ],
)
def test_plumbing_is_identity(op_type, attrs):
    x = np.random.default_rng(0).integers(0, 8, size=(1, 3, 3, 8))
    model = single_node_model(
        op_type,
        [1, 3, 3, 8],
        [1, 3, 3, 8],
        shape=[1, 3, 3, 8],
        inputDataType="UINT3",
        outputDataType="UINT3",
        **attrs,
    )
    np.testing.assert_array_equal(run(model, x), x)
    op = op_of(model)
    op.check_folding()
    assert op.cycles() > 0 and op.resources()["LUT"] > 0
