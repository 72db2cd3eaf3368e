"""mvu_params: the MatrixVectorUnit's mode, datatypes and thresholds from a layer's weights,
input type and MultiThreshold. XNOR thresholds moved to the popcount domain give the same
outputs as the MultiThreshold on x.W (thresholds exactly on reachable dot products, between
them, beyond them, odd MW); bipolar activations become BIPOLAR outputs; what the unit does
not implement is refused with the reason; a conv on a padded BIPOLAR map stays on the host."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.transforms.to_hw.mvu_params import NotConvertible, mvu_params
from tests.ops.helpers import run, single_node_model


def multithreshold_model(thresholds: np.ndarray, **attrs) -> tuple[ModelWrapper, object]:
    """A graph holding one MultiThreshold with `thresholds` (only its attributes and
    initializer are read by mvu_params)."""
    node = helper.make_node(
        "MultiThreshold", ["acc", "T"], ["y"], name="mt", domain="qonnx.custom_op.general", **attrs
    )
    graph = helper.make_graph(
        [node],
        "mt",
        [helper.make_tensor_value_info("acc", TensorProto.FLOAT, [1, thresholds.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, thresholds.shape[0]])],
        initializer=[helper.make_tensor("T", TensorProto.FLOAT, thresholds.shape, thresholds)],
    )
    return ModelWrapper(helper.make_model(graph)), node


def mvu_of(params: dict, vectors: int) -> ModelWrapper:
    attrs = params.attrs
    init = {"W": params.weights}
    if params.thresholds is not None:
        init["T"] = params.thresholds
    return single_node_model(
        "MatrixVectorUnit",
        [1, vectors, attrs["MW"]],
        [1, vectors, attrs["MH"]],
        init,
        numInputVectors=[1, vectors],
        **attrs,
    )


def multithreshold(acc: np.ndarray, t: np.ndarray, scale: float, bias: float) -> np.ndarray:
    return scale * np.sum(acc[..., None] >= t, axis=-1) + bias


@pytest.mark.parametrize("mw", [9, 27, 64])
def test_xnor_popcount_thresholds_keep_the_sign_activation(mw):
    rng = np.random.default_rng(mw)
    mh, vectors = 6, 40
    w = rng.choice([-1.0, 1.0], size=(mw, mh))
    x = rng.choice([-1.0, 1.0], size=(1, vectors, mw))
    x[0, 0], x[0, 1] = 1, -1
    dot = x[0] @ w
    # on a reachable dot product, one off it (other parity), between, beyond both ends
    t = np.array([[dot[5, 0]], [dot[6, 1] + 1], [0.5], [-mw - 3], [mw + 1], [dot[7, 5]]])
    model, mt = multithreshold_model(t, out_dtype="BIPOLAR", out_scale=2.0, out_bias=-1.0)
    params = mvu_params(model, w, DataType["BIPOLAR"], mt)
    assert params.attrs["outputDataType"] == "BIPOLAR" and params.attrs["ActVal"] == 0
    out = run(mvu_of(params, vectors), x)
    np.testing.assert_array_equal(out[0], multithreshold(dot, t, 2, -1))
    assert params.thresholds.min() >= 0 or t.min() < -mw  # the popcount domain


def test_xnor_with_several_thresholds_and_a_shared_row():
    rng = np.random.default_rng(1)
    mw, mh, vectors = 15, 4, 30
    w = rng.choice([-1.0, 1.0], size=(mw, mh))
    x = rng.choice([-1.0, 1.0], size=(1, vectors, mw))
    dot = x[0] @ w
    t = np.array([[-5.0, -1.0, 0.0, 3.0]])  # one row for every channel, odd and even
    model, mt = multithreshold_model(t, out_dtype="INT3", out_scale=1.0, out_bias=-2.0)
    params = mvu_params(model, w, DataType["BIPOLAR"], mt)
    assert params.thresholds.shape == (mh, 4)
    out = run(mvu_of(params, vectors), x)
    np.testing.assert_array_equal(out[0], multithreshold(dot, t[0], 1, -2))


def test_without_thresholds_xnor_outputs_the_dot_product_in_the_tightest_type():
    rng = np.random.default_rng(2)
    w = rng.choice([-1.0, 1.0], size=(27, 3))
    params = mvu_params(None, w, DataType["BIPOLAR"], None)
    assert params.attrs["outputDataType"] == "INT6" and params.thresholds is None
    x = rng.choice([-1.0, 1.0], size=(1, 5, 27))
    np.testing.assert_array_equal(run(mvu_of(params, 5), x)[0], x[0] @ w)


def test_multibit_input_with_a_sign_activation_keeps_accumulator_thresholds():
    w = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    model, mt = multithreshold_model(
        np.array([[2.5], [-0.5]]), out_dtype="BIPOLAR", out_scale=2.0, out_bias=-1.0
    )
    params = mvu_params(model, w, DataType["UINT8"], mt)
    np.testing.assert_array_equal(params.thresholds, [[3.0], [0.0]])  # ceil(T)
    x = np.array([[[3.0, 0.0, 0.0], [0.0, 1.0, 1.0]]])
    np.testing.assert_array_equal(run(mvu_of(params, 2), x)[0], [[1, -1], [-1, 1]])


@pytest.mark.parametrize(
    "t,attrs,idt,weights,message",
    [
        (
            np.zeros((2, 2)),
            {"out_dtype": "BIPOLAR", "out_scale": 2.0, "out_bias": -1.0},
            "INT4",
            None,
            "a BIPOLAR output needs one threshold",
        ),
        (
            np.zeros((2, 1)),
            {"out_dtype": "UINT2", "out_scale": 0.5, "out_bias": 0.0},
            "INT4",
            None,
            "out_scale 0.5",
        ),
        (np.zeros((2, 1)), {"out_dtype": "UINT1"}, "BIPOLAR", 2.0, "BIPOLAR input with INT3"),
    ],
)
def test_what_the_unit_cannot_do_is_refused_with_the_reason(t, attrs, idt, weights, message):
    model, mt = multithreshold_model(t, **attrs)
    w = np.ones((4, 2)) if weights is None else np.full((4, 2), weights)
    with pytest.raises(NotConvertible, match=message):
        mvu_params(model, w, DataType[idt], mt)


def _sign_conv(pads: list[int]) -> ModelWrapper:
    """BIPOLAR [1, 4, 6, 6] -> Conv(+-1, pads) -> MultiThreshold(sign)."""
    rng = np.random.default_rng(0)
    w = rng.choice([-1.0, 1.0], size=(8, 4, 3, 3))
    out = 6 + pads[0] + pads[2] - 2
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3], pads=pads),
        helper.make_node(
            "MultiThreshold",
            ["c", "t"],
            ["y"],
            name="mt",
            domain="qonnx.custom_op.general",
            out_dtype="BIPOLAR",
            out_scale=2.0,
            out_bias=-1.0,
        ),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, out, out])],
        initializer=[
            helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.ravel()),
            helper.make_tensor("t", TensorProto.FLOAT, [1, 1], [1.0]),
        ],
        value_info=[helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 8, out, out])],
    )
    model = ModelWrapper(helper.make_model(graph))
    model.set_tensor_datatype("x", DataType["BIPOLAR"])
    return model


def test_a_sign_conv_on_a_bipolar_map_becomes_an_xnor_unit_unless_padded():
    from qonnx.core.onnx_exec import execute_onnx

    model = _sign_conv([0, 0, 0, 0])
    hw = model.transform(ConvertToHW())
    (mvu,) = [n for n in hw.graph.node if n.op_type == "MatrixVectorUnit"]
    assert getCustomOp(mvu).xnor_mode()
    x = np.random.default_rng(3).choice([-1.0, 1.0], size=(1, 4, 6, 6)).astype(np.float32)
    want = execute_onnx(model, {"x": x})["y"]
    np.testing.assert_array_equal(execute_onnx(hw, {"x": x})["y"], want)
    padded = _sign_conv([1, 1, 1, 1]).transform(ConvertToHW())
    assert [n.op_type for n in padded.graph.node] == ["Conv", "MultiThreshold"]
