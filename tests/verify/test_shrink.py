"""verify.shrink's size arithmetic on its own: the candidate sizes keep each axis's
remainder modulo the stride product and leave the most downsampled tensor MIN_SPATIAL
wide; the stride product is the least common multiple over every path to every tensor."""

from __future__ import annotations

from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.verify.shrink import MIN_SPATIAL, candidate_sizes, stride_product


def test_min_spatial_is_three():
    assert MIN_SPATIAL == 3  # the expectations below are worked out for 3


def test_candidates_of_a_yolo_input():
    # 416 = 0 mod 32: 96 is the least leaving 3 pixels after five stride-2 stages
    assert candidate_sizes((416, 416), (32, 32)) == [(32 * m, 32 * m) for m in range(3, 13)]


def test_candidates_keep_each_axis_remainder():
    # 13 = 1 mod 2 and 20 = 0 mod 4; an axis that cannot shrink further stays full
    assert candidate_sizes((13, 20), (2, 4)) == [(7, 12), (9, 16), (11, 20)]


def test_candidates_of_tiny_inputs():
    assert candidate_sizes((4, 4), (2, 2)) == []  # nothing smaller leaves 3 x 2 pixels
    assert candidate_sizes((5, 5), (1, 1)) == [(3, 3), (4, 4)]
    assert candidate_sizes((2, 9), (1, 1)) == [(2, 3), (2, 4), (2, 5), (2, 6), (2, 7), (2, 8)]


def _graph(nodes: list) -> ModelWrapper:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])
    y = helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)
    return ModelWrapper(helper.make_model(helper.make_graph(nodes, "g", [x], [y])))


def test_stride_product_multiplies_along_a_path():
    model = _graph(
        [
            helper.make_node("Conv", ["x", "w0"], ["a"], strides=[2, 2]),
            helper.make_node("MaxPool", ["a"], ["b"], kernel_shape=[2, 2], strides=[2, 2]),
            helper.make_node("Relu", ["b"], ["c"]),
            helper.make_node("AveragePool", ["c"], ["d"], kernel_shape=[2, 2], strides=[2, 1]),
        ]
    )
    assert stride_product(model) == (8, 4)


def test_stride_product_joins_paths_by_lcm():
    model = _graph(
        [
            helper.make_node("Conv", ["x", "w0"], ["a"], strides=[2, 2]),
            helper.make_node("MaxPool", ["x"], ["b"], kernel_shape=[3, 3], strides=[3, 3]),
            helper.make_node("Add", ["a", "b"], ["c"]),
            helper.make_node("Conv", ["c", "w1"], ["d"], strides=[1, 2]),
            helper.make_node("Relu", ["d"], ["e"]),
        ]
    )
    assert stride_product(model) == (6, 12)


def test_strides_of_other_ops_do_not_count():
    model = _graph(
        [
            helper.make_node("Slice", ["x", "s", "e", "ax", "st"], ["a"]),
            helper.make_node("Relu", ["a"], ["b"]),
        ]
    )
    assert stride_product(model) == (1, 1)


def test_candidates_of_strides_beyond_an_axis():
    # the stride product exceeds the height: that axis stays full, the other shrinks
    assert candidate_sizes((5, 8), (8, 2)) == [(5, 6)]


def test_a_constant_only_path_does_not_count():
    model = _graph(
        [
            helper.make_node("Identity", ["w0"], ["wq"]),  # a weight quantizer: constants only
            helper.make_node("Conv", ["x", "wq"], ["a"], strides=[1, 1]),
        ]
    )
    assert stride_product(model) == (1, 1)


def test_stride_product_covers_every_output_not_only_the_last():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])
    nodes = [
        helper.make_node("MaxPool", ["x"], ["a"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("MaxPool", ["x"], ["b"], kernel_shape=[3, 3], strides=[3, 3]),
    ]
    heads = [helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in ("a", "b")]
    graph = helper.make_graph(nodes, "two_heads", [x], heads)
    assert stride_product(ModelWrapper(helper.make_model(graph))) == (6, 6)
