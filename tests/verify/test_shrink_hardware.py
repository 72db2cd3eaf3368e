"""verify.shrink on hardware graphs: the graph rebuilt at the small size is the graph that
ConvertToHW makes at that size (every size attribute, every tensor shape) and computes the
same result bit-exactly; an NHWC input read by a hardware op shrinks on axes 1 and 2; a
frame-wide hardware op, or one whose size attribute has no rule, keeps the graph at full
size."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.ops.base import DOMAIN
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.verify import shrink
from qnnflow.verify.shrink import input_size, shrink_to, shrunk, stride_product
from tests.verify.graphs import strided_route

FULL, SMALL = (20, 14), (12, 6)  # stride product (4, 2): 20 = 0 mod 4, 3 * 4; 3 * 2


def hardware(height: int, width: int) -> ModelWrapper:
    return strided_route(height, width).transform(ConvertToHW())


def shapes(model: ModelWrapper) -> dict[str, list[int]]:
    """Every data tensor's shape (the weights keep theirs)."""
    weights = {t.name for t in model.graph.initializer}
    infos = [*model.graph.input, *model.graph.output, *model.graph.value_info]
    return {vi.name: model.get_tensor_shape(vi.name) for vi in infos if vi.name not in weights}


def codes(size: tuple[int, int], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 8, size=(1, 4, *size)).astype(np.float32)


def nhwc_input(model: ModelWrapper) -> ModelWrapper:
    """`model` without its leading NCHW -> NHWC Transpose: its hardware ops read the input."""
    transpose = model.graph.node[0]
    assert transpose.op_type == "Transpose"
    x = model.graph.input[0].name
    for reader in model.find_consumers(transpose.output[0]):
        reader.input[list(reader.input).index(transpose.output[0])] = x
    model.set_tensor_shape(x, model.get_tensor_shape(transpose.output[0]))
    model.graph.node.remove(transpose)
    return model


def test_windows_and_strides_of_hardware_ops_count():
    # SlidingWindow Stride [2, 1] then StreamingMaxPool Stride 2 (an int), like the source
    assert stride_product(hardware(*FULL)) == stride_product(strided_route(*FULL)) == (4, 2)


def test_the_small_graph_is_the_graph_converted_at_that_size():
    source, hw = strided_route(*FULL), hardware(*FULL)
    (small_source, small_hw), size = shrunk([source, hw])
    assert size == SMALL and input_size(small_hw) == SMALL
    expected = hardware(*SMALL)
    for got, want in zip(small_hw.graph.node, expected.graph.node, strict=True):
        assert (got.name, list(got.attribute)) == (want.name, list(want.attribute))
    assert shapes(small_hw) == shapes(expected)
    assert shapes(small_source) == shapes(strided_route(*SMALL))
    assert hw.get_tensor_shape("x") == [1, 4, *FULL]  # the original is untouched
    x = {"x": codes(SMALL)}
    want = execute_onnx(strided_route(*SMALL), x)[source.graph.output[0].name]
    assert want.shape == (1, 8, 6, 6)
    for model in (small_source, small_hw):
        np.testing.assert_array_equal(execute_onnx(model, x)[model.graph.output[0].name], want)


def test_shrink_to_rebuilds_one_snapshot_at_the_group_size():
    hw = hardware(*FULL)
    (small, _), size = shrunk([hw, hw])
    again = shrink_to(hw, size)
    assert shapes(again) == shapes(small) == shapes(hardware(*SMALL))


def test_an_nhwc_input_read_by_hardware_shrinks_on_axes_1_and_2():
    hw = nhwc_input(hardware(*FULL))
    assert input_size(hw) == FULL
    (small, _), size = shrunk([hw, hw])
    assert size == SMALL
    assert small.get_tensor_shape("x") == [1, *SMALL, 4]
    x = codes(SMALL, seed=3)
    got = execute_onnx(small, {"x": x.transpose(0, 2, 3, 1)})[small.graph.output[0].name]
    reference = hardware(*SMALL)
    want = execute_onnx(reference, {"x": x})[reference.graph.output[0].name]
    np.testing.assert_array_equal(got, want)


def one_node(node, shape: list[int]) -> ModelWrapper:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *FULL, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)
    return ModelWrapper(helper.make_model(helper.make_graph([node], "one", [x], [y])))


def test_a_group_whose_snapshots_disagree_on_the_layout_stays_at_full_size():
    """The same NHWC input read by a hardware FIFO (H, W on axes 1, 2) and by a host Transpose
    (taken for NCHW: axes 2, 3): each shrinks alone, no size suits both."""
    fifo = one_node(
        helper.make_node(
            "StreamingFIFO",
            ["x"],
            ["y"],
            domain=DOMAIN,
            shape=[1, *FULL, 4],
            depth=2,
            inputDataType="UINT3",
            outputDataType="UINT3",
        ),
        [1, *FULL, 4],
    )
    host = one_node(helper.make_node("Transpose", ["x"], ["y"], perm=[0, 3, 1, 2]), [1, 4, *FULL])
    assert shrunk([fifo])[0][0].get_tensor_shape("x") == [1, 3, 3, 4]
    assert shrunk([host])[0][0].get_tensor_shape("x") == [1, 20, 3, 3]
    assert shrunk([host, fifo]) is None and shrunk([fifo, host]) is None
    nchw, nhwc = hardware(*FULL), nhwc_input(hardware(*FULL))
    assert shrunk([nchw, nhwc]) is None and shrunk([nhwc, nchw]) is None


def test_a_frame_wide_hardware_op_stays_at_full_size():
    """GlobalAccPool sums the whole frame (its host Mul holds 1 / (H * W))."""
    model = strided_route(*FULL)
    out = model.graph.output[0]
    model.graph.node.append(helper.make_node("GlobalAveragePool", [out.name], ["gap"]))
    out.name = "gap"
    model.set_tensor_shape("gap", [1, 8, 1, 1])
    model = model.transform(InferShapes()).transform(InferDataTypes())
    hw = model.transform(ConvertToHW())
    assert "GlobalAccPool" in [n.op_type for n in hw.graph.node]
    assert shrunk([hw, hw]) is None
    assert shrink_to(hw, SMALL) is None


@pytest.mark.parametrize("attr", ["IFMDim", "ImgDim", "numInputVectors", "shape"])
def test_a_size_attribute_without_a_rule_keeps_full_size(monkeypatch, attr):
    """As for a new hardware op whose size attribute verify.shrink does not know yet."""
    monkeypatch.delitem(shrink.SIZE_ATTRS, attr)
    hw = hardware(*FULL)
    assert shrunk([hw, hw]) is None
    assert shrink_to(hw, SMALL) is None
