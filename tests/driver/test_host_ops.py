"""Each numpy host kernel against qonnx executing the same single ONNX node."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.backends.deploy.host_export import host_graph, host_node
from qnnflow.errors import QnnflowError

QONNX = "qonnx.custom_op.general"


def _run_both(op, x, inits, out_shape, domain="", **attrs):
    """(numpy host executor, qonnx) outputs of one node `op(x, *inits)`."""
    names = [f"c{i}" for i in range(len(inits))]
    node = helper.make_node(op, ["x", *names], ["y"], name="n0", domain=domain, **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
    )
    model = ModelWrapper(helper.make_model(graph))
    for name, value in zip(names, inits, strict=True):
        value = np.asarray(value)
        model.set_initializer(name, value if value.dtype == np.int64 else value.astype(np.float32))
    model = model.transform(InferShapes())
    got = host_graph(model, list(model.graph.node), ["x"], ["y"]).run({"x": x})["y"]
    want = execute_onnx(model, {"x": x})["y"]
    return got, want


def _close(got, want):
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * float(np.abs(want).max()))


RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 4, 9, 7)).astype(np.float32)


@pytest.mark.parametrize(
    ("attrs", "wshape", "out"),
    [
        ({"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}, (6, 4, 3, 3), [2, 6, 9, 7]),
        (
            {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 0, 1, 1]},
            (5, 4, 3, 3),
            [2, 5, 5, 3],
        ),
        ({"kernel_shape": [3, 1], "group": 2, "dilations": [2, 1]}, (4, 2, 3, 1), [2, 4, 5, 7]),
        ({"kernel_shape": [1, 1]}, (3, 4, 1, 1), [2, 3, 9, 7]),
    ],
)
def test_conv(attrs, wshape, out):
    w = RNG.standard_normal(wshape).astype(np.float32)
    b = RNG.standard_normal(wshape[0]).astype(np.float32)
    got, want = _run_both("Conv", X, [w, b], out, **attrs)
    assert list(got.shape) == out
    _close(got, want)


def test_conv_of_integers_is_exact():
    x = RNG.integers(0, 8, X.shape).astype(np.float32)
    w = RNG.integers(-127, 128, (8, 4, 3, 3)).astype(np.float32)
    got, want = _run_both("Conv", x, [w], [2, 8, 7, 5], kernel_shape=[3, 3])
    assert np.array_equal(got, want)


@pytest.mark.parametrize(
    ("attrs", "ashape", "bshape", "bias"),
    [
        ({"transB": 1}, (1, 6), (5, 6), None),
        ({}, (3, 6), (6, 5), (5,)),
        ({"transA": 1, "alpha": 0.5, "beta": 2.0}, (6, 2), (6, 5), (2, 5)),
        ({"transB": 1, "beta": 0.25}, (1, 6), (5, 6), (1, 5)),
    ],
)
def test_gemm(attrs, ashape, bshape, bias):
    a = RNG.standard_normal(ashape).astype(np.float32)
    inits = [RNG.standard_normal(bshape).astype(np.float32)]
    if bias is not None:
        inits.append(RNG.standard_normal(bias).astype(np.float32))
    rows = ashape[1] if attrs.get("transA") else ashape[0]
    cols = bshape[0] if attrs.get("transB") else bshape[1]
    got, want = _run_both("Gemm", a, inits, [rows, cols], **attrs)
    assert list(got.shape) == [rows, cols]
    _close(got, want)


@pytest.mark.parametrize(
    ("ashape", "bshape", "out"), [((1, 6), (6, 4), [1, 4]), ((2, 3, 6), (6, 4), [2, 3, 4])]
)
def test_matmul(ashape, bshape, out):
    a = RNG.standard_normal(ashape).astype(np.float32)
    got, want = _run_both("MatMul", a, [RNG.standard_normal(bshape).astype(np.float32)], out)
    _close(got, want)


def test_fully_connected_layers_of_integers_are_exact():
    x = RNG.integers(-2, 2, (1, 784)).astype(np.float32)
    w = RNG.integers(-2, 2, (64, 784)).astype(np.float32)
    assert np.array_equal(*_run_both("Gemm", x, [w], [1, 64], transB=1))
    assert np.array_equal(*_run_both("MatMul", x, [w.T.copy()], [1, 64]))


def test_mismatched_fully_connected_shapes_are_refused():
    from qnnflow.driver.host_ops import gemm, matmul

    with pytest.raises(QnnflowError, match=r"Gemm shapes \[1, 6\] @ \[5, 6\] do not match"):
        gemm([np.zeros((1, 6)), np.zeros((5, 6))], {})
    with pytest.raises(QnnflowError, match="MatMul shapes"):
        matmul([np.zeros((1, 6)), np.zeros((5, 6))], {})


def test_maxpool_pads_never_win():
    x = -np.abs(X) - 1
    _close(*_run_both("MaxPool", x, [], [2, 4, 9, 7], kernel_shape=[2, 2], pads=[0, 0, 1, 1]))
    _close(
        *_run_both(
            "MaxPool", X, [], [2, 4, 5, 4], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1]
        )
    )


def test_batchnorm_and_activations():
    c = X.shape[1]
    params = [RNG.random(c) + 0.5, RNG.standard_normal(c), RNG.standard_normal(c), RNG.random(c)]
    _close(*_run_both("BatchNormalization", X, params, list(X.shape), epsilon=1e-3))
    _close(*_run_both("LeakyRelu", X, [], list(X.shape), alpha=0.1))
    _close(*_run_both("Relu", X, [], list(X.shape)))
    _close(*_run_both("Sigmoid", X, [], list(X.shape)))
    _close(*_run_both("Clip", X, [np.float32(-0.5), np.float32(0.7)], list(X.shape)))
    half = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4], np.float32).reshape(1, 6)
    assert np.array_equal(*_run_both("Round", half, [], [1, 6]))


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
def test_broadcast_arithmetic(op):
    c = (RNG.random((1, 4, 1, 1)) + 0.5).astype(np.float32)
    _close(*_run_both(op, X, [c], list(X.shape)))


def test_layout_ops():
    got, want = _run_both("Transpose", X, [], [2, 9, 7, 4], perm=[0, 2, 3, 1])
    assert np.array_equal(got, want)
    got, want = _run_both("Reshape", X, [np.array([0, -1], np.int64)], [2, 252])
    assert np.array_equal(got, want)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_multithreshold_is_exact(layout):
    x = np.round(X * 4) if layout == "NCHW" else np.round(X.transpose(0, 2, 3, 1) * 4)
    t = np.sort(RNG.integers(-6, 6, (4, 7)), axis=1).astype(np.float32)
    got, want = _run_both(
        "MultiThreshold",
        x,
        [t],
        list(x.shape),
        domain=QONNX,
        out_dtype="UINT3",
        out_scale=1.0,
        out_bias=0.0,
        data_layout=layout,
    )
    assert np.array_equal(got, want)
    got, want = _run_both(
        "MultiThreshold",
        x,
        [t[:1]],
        list(x.shape),
        domain=QONNX,
        out_dtype="UINT3",
        out_scale=0.5,
        out_bias=-1.0,
        data_layout=layout,
    )
    assert np.array_equal(got, want)


@pytest.mark.parametrize(
    ("signed", "narrow", "bits", "mode"),
    [
        (1, 1, 8, "ROUND"),
        (1, 0, 4, "FLOOR"),
        (0, 0, 3, "ROUND"),
        (0, 1, 4, "HALF_UP"),
        (1, 0, 1, "ROUND"),
    ],
)
def test_quant_is_exact(signed, narrow, bits, mode):
    scale = (RNG.random((1, 4, 1, 1)) * 0.3 + 0.05).astype(np.float32)
    got, want = _run_both(
        "Quant",
        X,
        [scale, np.float32(0), np.float32(bits)],
        list(X.shape),
        domain=QONNX,
        signed=signed,
        narrow=narrow,
        rounding_mode=mode,
    )
    assert np.array_equal(got, want)


def test_unknown_ops_are_refused_with_their_name():
    with pytest.raises(QnnflowError, match=r"Softmax 'n0': no numpy host kernel"):
        _run_both("Softmax", X, [], list(X.shape))
    foreign = helper.make_node("Foo", ["x"], ["y"], name="n1", domain="my.ops")
    with pytest.raises(QnnflowError, match=r"Foo 'n1' \(domain my.ops\) cannot run on the host"):
        host_node(foreign)
    tensor_attr = helper.make_node(
        "Constant", [], ["y"], name="n2", value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1])
    )
    with pytest.raises(QnnflowError, match="Constant 'n2': no numpy host kernel"):
        host_node(tensor_attr)
