"""Thresholding's C++ kernel against the op's numpy execution, bit-exactly: PE folding,
unsigned and signed inputs, thresholds at and beyond the input's range (and non-integer),
a negative ActVal, one threshold row shared by all channels, channel-group-major input behind
a stream_ddr MatrixVectorUnit, the synthesised ap_int datapath, and cycles == op.cycles()."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.thresholding import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN, FoldingError
from tests.backends.hls.test_mvu_cpp import edge_frames, with_ap_datapath
from tests.ops.helpers import op_of, run, single_node_model


def threshold_model(h, w, c, pe, idt, odt, thresholds, act_val=0):
    return single_node_model(
        "Thresholding",
        [1, h, w, c],
        [1, h, w, c],
        {"T": thresholds.astype(np.float32)},
        NumChannels=c,
        PE=pe,
        numInputVectors=[1, h, w],
        numThresholds=thresholds.shape[1],
        ActVal=act_val,
        inputDataType=idt,
        outputDataType=odt,
    )


def input_frames(rng, model) -> np.ndarray:
    h, w, c = op_of(model).normal_input_shape()[1:]
    x = edge_frames(rng, op_of(model).get_nodeattr("inputDataType"), h * w, c)
    return x.reshape(x.shape[0], 1, h, w, c)


def check(model, x, node_index=0, groups=1, ap_datapath=False):
    """Feeds `x` (NHWC frames) in group-major order when groups > 1, compares in NHWC."""
    node = model.graph.node[node_index]
    code = render(model, node)
    if ap_datapath:
        code = with_ap_datapath(code)
    frames, c = x.shape[0], x.shape[-1]
    feed = x.reshape(frames, -1, groups, c // groups).transpose(0, 2, 1, 3).reshape(frames, -1)
    result = simulate_layer(code, [feed])
    out = result.stream.reshape(frames, groups, -1, c // groups).transpose(0, 2, 1, 3)
    op = getCustomOp(node)
    expected = np.stack([op.reference(frame, model.get_initializer(node.input[1])) for frame in x])
    np.testing.assert_array_equal(out.reshape(frames, -1), expected.reshape(frames, -1))
    assert result.cycles_per_frame == op.cycles()


@pytest.mark.parametrize("pe", [1, 3, pytest.param(2, marks=pytest.mark.slow), 6])
def test_pe_folding_with_unsigned_input(pe):
    rng = np.random.default_rng(pe)
    t = np.sort(rng.integers(0, 16, size=(6, 7)), axis=1)
    model = threshold_model(3, 5, 6, pe, "UINT4", "UINT3", t)
    x = input_frames(rng, model)
    check(model, x)
    np.testing.assert_array_equal(  # the op's numpy execution agrees with its reference
        run(model, x[0]), op_of(model).reference(x[0], t)
    )


def test_signed_input_edges_and_negative_actval():
    rng = np.random.default_rng(5)
    t = np.array(
        [
            [-32, -31, 0, 31],  # at the input's minimum and maximum
            [-1000, -2.5, 2.5, 1000],  # beyond the range and between integers
            [31, 32, 33, 34],  # reachable only by the maximum
            [-33, -32, -32, 5],  # repeated, reached by everything
        ]
    )
    model = threshold_model(2, 3, 4, 2, "INT6", "INT3", t, act_val=-4)
    check(model, input_frames(rng, model))


def test_one_threshold_row_shared_by_all_channels():
    rng = np.random.default_rng(6)
    t = np.array([[-3, 0, 2]])
    model = threshold_model(4, 1, 8, 4, "INT3", "UINT2", t)
    check(model, input_frames(rng, model))


def behind_streamed_mvu(model, groups: int):
    """`model` with a stream_ddr MatrixVectorUnit (MH/PE = groups) producing its input."""
    shape = model.get_tensor_shape("x")
    mvu = helper.make_node(
        "MatrixVectorUnit",
        ["v", "w_mvu"],
        ["x"],
        name="mvu",
        domain=DOMAIN,
        MW=2,
        MH=shape[-1],
        PE=shape[-1] // groups,
        numInputVectors=shape[:-1],
        weightDataType="INT2",
        mem_mode="stream_ddr",
        inputDataType="UINT2",
        outputDataType=model.get_tensor_datatype("x").name,
    )
    model.graph.node.insert(0, mvu)
    model.graph.value_info.append(model.graph.input.pop())
    model.graph.input.append(
        helper.make_tensor_value_info("v", TensorProto.FLOAT, [*shape[:-1], 2])
    )
    model.set_initializer("w_mvu", np.ones((2, shape[-1]), dtype=np.float32))
    return model


@pytest.mark.parametrize("groups,pe", [(3, 2), (6, 1)])
def test_channel_group_major_input(groups, pe):
    rng = np.random.default_rng(groups)
    t = np.sort(rng.integers(-8, 8, size=(6, 3)), axis=1)
    model = threshold_model(2, 3, 6, pe, "INT4", "UINT2", t)
    x = input_frames(rng, model)
    check(behind_streamed_mvu(model, groups), x, node_index=1, groups=groups)


def test_synthesised_ap_int_datapath_matches_too():
    rng = np.random.default_rng(8)
    t = np.sort(rng.integers(-9, 9, size=(4, 3)), axis=1)
    model = threshold_model(3, 3, 4, 2, "INT5", "INT2", t, act_val=-2)
    check(model, input_frames(rng, model), ap_datapath=True)


def test_refusals_name_the_node_and_reason():
    t = np.zeros((6, 2))
    with pytest.raises(FoldingError, match="'Thresholding_0': PE=4 must divide channels=6"):
        render(*_one(threshold_model(1, 1, 6, 4, "UINT2", "UINT2", t)))
    with pytest.raises(QnnflowError, match="spans \\[0, 2\\], which outputDataType BINARY"):
        render(*_one(threshold_model(1, 1, 6, 2, "UINT2", "BINARY", t)))
    with pytest.raises(QnnflowError, match="PE=2 must divide the 1 channels of each of the 6"):
        grouped = behind_streamed_mvu(threshold_model(1, 1, 6, 2, "UINT2", "UINT2", t), 6)
        render(grouped, grouped.graph.node[1])


def _one(model):
    return model, model.graph.node[0]


def test_bipolar_input_and_output():
    """A BIPOLAR input is compared as its code (thresholds moved to ceil((t + 1) / 2)); a
    single threshold with a BIPOLAR output emits the sign bit."""
    rng = np.random.default_rng(9)
    x = rng.choice([-1, 1], size=(3, 1, 2, 3, 4))
    x[1] = -1
    t = np.array([[-1.0], [0.0], [1.0], [1.5]])  # at -1, between, at +1, beyond
    check(threshold_model(2, 3, 4, 2, "BIPOLAR", "BIPOLAR", t), x)
    rows = np.array([[-2.0, -1.0, 0.5], [1.0, 1.0, 2.0], [-1.0, 1.0, 1.0], [-5, 0, 5]])
    check(threshold_model(2, 3, 4, 4, "BIPOLAR", "UINT2", rows), x, ap_datapath=True)
    ints = rng.integers(-8, 8, size=(2, 1, 2, 3, 4))
    check(threshold_model(2, 3, 4, 1, "INT4", "BIPOLAR", np.array([[-8.0], [0], [3], [7.5]])), ints)


def test_bipolar_output_needs_one_threshold():
    model = threshold_model(1, 1, 2, 1, "INT4", "BIPOLAR", np.zeros((2, 2)))
    with pytest.raises(QnnflowError, match="a BIPOLAR output needs exactly one threshold"):
        render(model, model.graph.node[0])
