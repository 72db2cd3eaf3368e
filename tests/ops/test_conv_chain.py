"""Pad -> SlidingWindow -> MatrixVectorUnit equals onnxruntime's Conv followed by qonnx's
MultiThreshold, bit-exactly, on random and edge-case inputs and every legal folding."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from qonnx.custom_op.general.multithreshold import multithreshold

from qnnflow.frontend.binparams.hidden_layers import conv_weight_matrix
from qnnflow.ops import FoldingError
from qnnflow.ops.pad import pad_nhwc
from tests.ops.helpers import op_of, run, single_node_model


def ort_conv(x_nchw: np.ndarray, w: np.ndarray, pad: int, stride: int) -> np.ndarray:
    node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[pad] * 4, strides=[stride] * 2)
    graph = helper.make_graph(
        [node],
        "c",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.ravel().tolist())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    sess = ort.InferenceSession(model.SerializeToString())
    return sess.run(None, {"x": x_nchw.astype(np.float32)})[0]


def hw_conv(x_nhwc, w, thresholds, pad, stride, simd=1, pe=1, wdt="BIPOLAR", adt="UINT3"):
    n, h, width, c = x_nhwc.shape
    cout, _, k, _ = w.shape
    x = pad_nhwc(x_nhwc, [pad] * 4)
    hp, wp = h + 2 * pad, width + 2 * pad
    oh, ow = (hp - k) // stride + 1, (wp - k) // stride + 1
    swg = single_node_model(
        "SlidingWindow",
        [1, hp, wp, c],
        [1, oh, ow, k * k * c],
        ConvKernelDim=[k, k],
        IFMChannels=c,
        IFMDim=[hp, wp],
        Stride=[stride, stride],
        SIMD=simd,
        inputDataType=adt,
        outputDataType=adt,
    )
    windows = run(swg, x)
    params = {"W": conv_weight_matrix(w).astype(np.float32), "T": thresholds.astype(np.float32)}
    mvu = single_node_model(
        "MatrixVectorUnit",
        [1, oh, ow, k * k * c],
        [1, oh, ow, cout],
        params,
        MW=k * k * c,
        MH=cout,
        PE=pe,
        SIMD=simd,
        numInputVectors=[1, oh, ow],
        weightDataType=wdt,
        numThresholds=thresholds.shape[1],
        inputDataType=adt,
        outputDataType="UINT3",
    )
    op_of(mvu).check_folding()
    op_of(swg).check_folding()
    return run(mvu, windows)


def reference(x_nhwc, w, thresholds, pad, stride):
    acc = ort_conv(x_nhwc.transpose(0, 3, 1, 2), w.astype(np.float32), pad, stride)
    return multithreshold(acc, thresholds).transpose(0, 2, 3, 1)


def random_case(rng, h, w, cin, cout, kind="random"):
    x = rng.integers(0, 8, size=(1, h, w, cin))
    if kind == "zeros":
        x = np.zeros_like(x)
    elif kind == "max":
        x = np.full_like(x, 7)
    weights = rng.choice([-1, 1], size=(cout, cin, 3, 3))
    span = 9 * cin * 7
    thresholds = np.sort(rng.integers(-span // 4, span // 4, size=(cout, 7)), axis=1)
    return x, weights, thresholds


@pytest.mark.parametrize("kind", ["random", "zeros", "max"])
@pytest.mark.parametrize("h,w,stride", [(5, 7, 1), (6, 6, 2), (1, 1, 1)])
def test_conv_chain_matches_reference(kind, h, w, stride):
    rng = np.random.default_rng(h * 100 + w)
    x, weights, thresholds = random_case(rng, h, w, 4, 6, kind)
    out = hw_conv(x, weights, thresholds, 1, stride)
    np.testing.assert_array_equal(out, reference(x, weights, thresholds, 1, stride))


def test_thresholds_at_the_boundaries_use_greater_equal():
    x = np.ones((1, 3, 3, 1), dtype=np.int64)
    weights = np.ones((1, 1, 3, 3), dtype=np.int64)  # centre pixel sees 9, corner sees 4
    thresholds = np.array([[4, 6, 9, 9, 10, 10, 10]])
    out = hw_conv(x, weights, thresholds, 1, 1)
    assert out[0, 1, 1, 0] == 4  # 9 >= 4, 6, 9, 9 but not 10
    assert out[0, 0, 0, 0] == 1  # 4 >= 4 only
    np.testing.assert_array_equal(out, reference(x, weights, thresholds, 1, 1))


def test_every_legal_folding_gives_the_same_result():
    rng = np.random.default_rng(7)
    x, weights, thresholds = random_case(rng, 4, 5, 2, 6)
    expected = reference(x, weights, thresholds, 1, 1)
    for pe in (1, 2, 3, 6):
        for simd in (1, 2):
            out = hw_conv(x, weights, thresholds, 1, 1, simd=simd, pe=pe)
            np.testing.assert_array_equal(out, expected)


def test_illegal_folding_is_rejected_with_the_layer_and_reason():
    rng = np.random.default_rng(0)
    x, weights, thresholds = random_case(rng, 3, 3, 2, 6)
    with pytest.raises(
        FoldingError,
        match="MatrixVectorUnit 'MatrixVectorUnit_0': PE=4 must "
        r"divide MH \(output channels\)=6",
    ):
        hw_conv(x, weights, thresholds, 1, 1, pe=4)
    with pytest.raises(FoldingError, match="SIMD=3 must divide"):
        hw_conv(x, weights, thresholds, 1, 1, simd=3)


def test_mvu_without_thresholds_outputs_the_accumulator_and_cycles_formula():
    rng = np.random.default_rng(3)
    x = rng.integers(-8, 8, size=(1, 2, 2, 12))
    w = rng.integers(-2, 2, size=(12, 5))
    model = single_node_model(
        "MatrixVectorUnit",
        [1, 2, 2, 12],
        [1, 2, 2, 5],
        {"W": w.astype(np.float32)},
        MW=12,
        MH=5,
        PE=5,
        SIMD=4,
        numInputVectors=[1, 2, 2],
        weightDataType="INT2",
        inputDataType="INT4",
        outputDataType="INT32",
    )
    np.testing.assert_array_equal(run(model, x), x @ w)
    op = op_of(model)
    assert op.cycles() == 4 * (12 // 4) * (5 // 5)
    assert op.folded_input_shape() == (1, 2, 2, 3, 4)
    assert op.instream_width_bits() == 16
    res = op.resources()
    assert res["DSP"] == 0 and res["LUT"] > 0
