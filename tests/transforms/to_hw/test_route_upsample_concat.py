"""YOLOv3-tiny's route structure (forks, nearest upsample, channel concat of mixed integer
types) becomes hardware ops with the same results, one fork node per re-read stream, and
only the boundary Transposes left on the host."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.ops import DOMAIN
from qnnflow.ops.graph_queries import hw_op
from qnnflow.transforms.to_hw import ConvertToHW, InsertStreamDuplicators
from qnnflow.transforms.to_hw.convert_upsample import nearest_source_index, reason_not_convertible
from qnnflow.verify import verified_transform
from tests.transforms.to_hw.yolo_like import random_input, route_model

# the source graph's own Concat is typed like its first input by qonnx (INT3 for UINT3 data)
pytestmark = pytest.mark.filterwarnings("ignore:The values of tensor route")


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("size", [8, 6])
def test_route_graph_converts_bit_exactly(size, seed):
    model = route_model(size=size, seed=seed)
    hw = verified_transform(model, ConvertToHW(), random_input(size, seed + 5))
    ops = [n.op_type for n in hw.graph.node]
    assert ops.count("Transpose") == 3  # the input and the two heads
    assert all(n.domain == DOMAIN for n in hw.graph.node if n.op_type != "Transpose")
    assert ops.count("MatrixVectorUnit") == 5
    assert ops.count("Upsample") == ops.count("StreamingConcat") == 1
    assert ops.count("DuplicateStreams") == 2
    concat = next(n for n in hw.graph.node if n.op_type == "StreamingConcat")
    op = hw_op(concat)
    assert op.get_nodeattr("inputDataTypes") == ["INT3", "UINT3"]
    assert op.output_dtype() == DataType["INT4"]  # signed upsampled codes beside 0..7
    assert op.get_nodeattr("ChannelsPerStream") == [8, 8]
    conv3_swg = next(n for n in hw.graph.node if n.name == "conv3_swg")
    assert hw_op(conv3_swg).input_dtype() == DataType["INT4"]
    for node in hw.graph.node:  # every hardware stream now has exactly one reader
        if node.domain == DOMAIN:
            for tensor in node.output:
                assert len(hw.find_consumers(tensor)) == 1
    for node in hw.graph.node:
        if node.domain == DOMAIN:
            hw_op(node).check_folding()


def test_fork_to_host_and_hardware_keeps_graph_output():
    model = route_model()
    info = model.get_tensor_valueinfo("conv0_out")
    model.graph.value_info.remove(info)
    model.graph.output.append(
        helper.make_tensor_value_info("conv0_out", TensorProto.FLOAT, [1, 8, 8, 8])
    )
    x = random_input()
    hw = verified_transform(model, ConvertToHW(), x)
    fork = next(n for n in hw.graph.node if n.name == "conv0_mvu_fork")
    assert hw_op(fork).num_outputs() == 3  # max-pool, route, and the stream to the host
    assert "conv0_out" in [o.name for o in hw.graph.output]
    expected = execute_onnx(model, x)["conv0_out"]
    np.testing.assert_array_equal(execute_onnx(hw, x)["conv0_out"], expected)


def test_concat_reading_one_stream_twice_gets_two_copies():
    """Darknet's `layers = -1, -1`: the same hardware stream feeds both concat inputs."""
    nodes = [
        helper.make_node(
            "StreamingMaxPool",
            ["x"],
            ["p"],
            name="pool",
            domain=DOMAIN,
            ImgDim=[4, 4],
            Kernel=2,
            Stride=2,
            NumChannels=2,
            inputDataType="UINT3",
            outputDataType="UINT3",
        ),
        helper.make_node(
            "StreamingConcat",
            ["p", "p"],
            ["y"],
            name="cat",
            domain=DOMAIN,
            ImgDim=[2, 2],
            ChannelsPerStream=[2, 2],
            inputDataTypes=["UINT3", "UINT3"],
            outputDataType="UINT3",
        ),
    ]
    graph = helper.make_graph(
        nodes,
        "twice",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 2, 4])],
    )
    model = ModelWrapper(helper.make_model(graph))
    model.set_tensor_datatype("x", DataType["UINT3"])
    model = model.transform(InferShapes())
    x = {"x": np.random.default_rng(0).integers(0, 8, (1, 4, 4, 2)).astype(np.float32)}
    forked = verified_transform(model, InsertStreamDuplicators(), x)
    assert [n.op_type for n in forked.graph.node] == [
        "StreamingMaxPool",
        "DuplicateStreams",
        "StreamingConcat",
    ]
    cat = forked.graph.node[2]
    assert cat.input[0] != cat.input[1]
    assert list(forked.graph.node[1].output) == list(cat.input)


@pytest.mark.parametrize(
    "attrs,convertible",
    [
        ({}, True),  # ONNX defaults: half_pixel + round_prefer_floor repeats pixels
        ({"coordinate_transformation_mode": "asymmetric"}, True),  # x/2 ties round down
        ({"coordinate_transformation_mode": "asymmetric", "nearest_mode": "ceil"}, False),
        ({"mode": "linear"}, False),
    ],
)
def test_resize_converts_only_when_it_repeats_pixels(attrs, convertible):
    model = route_model(resize_attrs=attrs)
    hw = verified_transform(model, ConvertToHW(), random_input())
    ops = [n.op_type for n in hw.graph.node]
    assert ("Upsample" in ops) == convertible
    assert ("Resize" in ops) == (not convertible)
    if not convertible:
        resize = next(n for n in hw.graph.node if n.op_type == "Resize")
        assert reason_not_convertible(hw, resize) is not None


def test_nearest_index_rules_match_onnx_semantics():
    assert list(nearest_source_index(3, 2, "half_pixel", "round_prefer_floor")) == [
        0,
        0,
        1,
        1,
        2,
        2,
    ]
    # asymmetric with rounding to nearest does not repeat for factor 3: 2/3 rounds to 1
    assert list(nearest_source_index(2, 3, "asymmetric", "round_prefer_floor")) == [
        0,
        0,
        1,
        1,
        1,
        1,
    ]
    assert list(nearest_source_index(2, 3, "asymmetric", "floor")) == [0, 0, 0, 1, 1, 1]


def test_float_route_stays_on_host_with_reason():
    from qnnflow.transforms.to_hw.convert_concat import reason_not_convertible as concat_reason

    model = route_model()
    model.set_tensor_datatype("up", DataType["FLOAT32"])
    concat = next(n for n in model.graph.node if n.op_type == "Concat")
    assert concat_reason(model, concat) == "input 'up' is FLOAT32, not integer"
