"""Channel-group-major stream order: which nodes see it, the numpy permutations, and the
shared helpers the kernel tests use to put a stream_ddr MatrixVectorUnit in front of an op."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.streams import stream_spec
from qnnflow.driver.formats import StreamFormat, to_stream_order
from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN
from qnnflow.ops.stream_order import input_channel_groups, input_frame_replays
from qnnflow.packing import from_group_major, to_group_major
from tests.ops.helpers import single_node_model

MVU_IN = 4  # channels of the stand-in MVU's input


def behind_mvu(model: ModelWrapper, groups: int, mem_mode: str = "stream_ddr") -> ModelWrapper:
    """`model` (one node reading `x`) with a MatrixVectorUnit producing `x` in front of it,
    whose G = MH/PE = `groups` when it streams its weights from DDR."""
    shape = model.get_tensor_shape("x")
    channels, dtype = shape[-1], model.get_tensor_datatype("x")
    mvu = helper.make_node(
        "MatrixVectorUnit",
        ["x_mvu", "w_mvu"],
        ["x"],
        name="mvu_in_front",
        domain=DOMAIN,
        MW=MVU_IN,
        MH=channels,
        PE=channels // groups,
        numInputVectors=shape[:-1],
        weightDataType="INT2",
        mem_mode=mem_mode,
        inputDataType="UINT2",
        outputDataType=dtype.name,
    )
    graph = model.graph
    graph.node.insert(0, mvu)
    old_input = graph.input.pop()
    graph.value_info.append(old_input)
    graph.input.append(
        helper.make_tensor_value_info("x_mvu", TensorProto.FLOAT, [*shape[:-1], MVU_IN])
    )
    weights = np.ones((MVU_IN, channels), dtype=np.float32)
    graph.initializer.append(
        helper.make_tensor("w_mvu", TensorProto.FLOAT, weights.shape, weights.ravel().tolist())
    )
    model.set_tensor_datatype("x", dtype)
    return model


def pad_model(channels: int = 8) -> ModelWrapper:
    return single_node_model(
        "ZeroPad",
        [1, 3, 3, channels],
        [1, 5, 5, channels],
        ImgDim=[3, 3],
        Padding=[1, 1, 1, 1],
        NumChannels=channels,
        inputDataType="UINT3",
        outputDataType="UINT3",
    )


def windows_model() -> ModelWrapper:
    return single_node_model(
        "SlidingWindow",
        [1, 5, 5, 8],
        [1, 3, 3, 72],
        ConvKernelDim=[3, 3],
        IFMChannels=8,
        IFMDim=[5, 5],
        Stride=[1, 1],
        inputDataType="UINT3",
        outputDataType="UINT3",
    )


def test_graph_input_and_on_chip_mvu_give_normal_order():
    model = pad_model()
    assert input_channel_groups(model, model.graph.node[0]) == 1
    model = behind_mvu(pad_model(), 4, mem_mode="internal")
    assert input_channel_groups(model, model.graph.node[1]) == 1


@pytest.mark.parametrize("groups", [2, 4, 8])
def test_streamed_mvu_gives_mh_over_pe_groups(groups):
    model = behind_mvu(pad_model(), groups)
    assert input_channel_groups(model, model.graph.node[1]) == groups


def test_groups_pass_through_pads_and_stop_at_a_sliding_window():
    model = behind_mvu(pad_model(), 4)
    pad_node = model.graph.node[1]
    swg = windows_model()
    swg_node = swg.graph.node[0]
    swg_node.input[0] = pad_node.output[0]
    swg_node.output[0] = "z"
    model.graph.node.append(swg_node)
    after = helper.make_node("ZeroPad", ["z"], ["u"], name="after", domain=DOMAIN)
    model.graph.node.append(after)
    assert input_channel_groups(model, swg_node) == 4
    assert input_channel_groups(model, after) == 1


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_permutations_match_the_host_format_and_invert(groups):
    rng = np.random.default_rng(groups)
    normal = rng.integers(0, 100, size=(2, 5, 7, 6))
    stream = to_group_major(normal, groups)
    fmt = StreamFormat("t", (1, 5, 7, 6), "UINT7", 6, 7, False, 35, channel_groups=groups)
    np.testing.assert_array_equal(stream, to_stream_order(fmt, normal))
    np.testing.assert_array_equal(from_group_major(stream, (1, 5, 7, 6), groups), normal)
    # group g's sub-frame is every pixel's channels [g*C/G, (g+1)*C/G)
    width = 6 // groups
    first_pixels = stream[0, : 5 * 7 * width].reshape(5, 7, width)
    np.testing.assert_array_equal(first_pixels, normal[0, :, :, :width])


def test_groups_that_do_not_divide_the_channels_are_refused():
    with pytest.raises(QnnflowError, match="4 channel groups do not divide 6 channels"):
        to_group_major(np.zeros((1, 2, 2, 6)), 4)


def test_stream_spec_refuses_non_integer_types_and_carries_bipolar_as_one_bit():
    spec = stream_spec(DataType["INT4"], 2, 12)
    assert (spec.per_word, spec.bits, spec.signed, spec.words) == (2, 4, True, 6)
    with pytest.raises(QnnflowError, match="cannot travel on a hardware stream"):
        stream_spec(DataType["FLOAT32"], 1, 4)
    spec = stream_spec(DataType["BIPOLAR"], 4, 12)
    assert (spec.bits, spec.signed, spec.bipolar, spec.width) == (1, False, True, 4)


def replaying_window_chain(replays: int, tail: list[tuple[str, dict]]) -> ModelWrapper:
    """A frame-buffered 3x3 SlidingWindow on a 5x5x8 UINT3 input replaying `replays` times,
    followed by the (op type, attributes) nodes of `tail`, each reading the previous one."""
    model = windows_model()
    swg = getCustomOp(model.graph.node[0])
    swg.set_nodeattr("frameBuffer", 1)
    swg.set_nodeattr("frameReplays", replays)
    previous = model.graph.node[0].output[0]
    for i, (op_type, attrs) in enumerate(tail):
        node = helper.make_node(
            op_type, [previous], [f"t{i}"], name=f"{op_type}_{i}", domain=DOMAIN, **attrs
        )
        model.graph.node.append(node)
        previous = node.output[0]
    return model


def test_replays_reach_through_fifos_and_converters_only():
    tail = [
        ("StreamingFIFO", {}),
        ("WidthConverter", {}),
        ("MatrixVectorUnit", {}),
        ("StreamingFIFO", {}),
    ]
    model = replaying_window_chain(3, tail)
    nodes = model.graph.node
    assert input_frame_replays(model, nodes[0]) == 1
    assert [input_frame_replays(model, n) for n in nodes[1:]] == [3, 3, 3, 1]
