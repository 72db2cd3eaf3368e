"""Integer NCHW layers (Conv + MultiThreshold, MaxPool) become NHWC hardware ops with the
same results, and neighbouring hardware ops talk NHWC without Transposes between them."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.ops import DOMAIN
from qnnflow.transforms.to_hw import ConvertToHW, RemoveTransposePairs
from qnnflow.verify import verified_transform


def streamlined_model(size=11, channels=(4, 8, 16), weight_kind="bipolar", seed=0):
    """input UINT3 -> [Conv(int W) -> MultiThreshold -> MaxPool] x 2 (stride 2, then 2/1)."""
    rng = np.random.default_rng(seed)
    nodes, inits, x = [], [], "x"
    h = size
    for i, (cin, cout) in enumerate(zip(channels, channels[1:], strict=False)):
        if weight_kind == "bipolar":
            w = rng.choice([-1.0, 1.0], size=(cout, cin, 3, 3))
        else:
            w = rng.integers(-3, 4, size=(cout, cin, 3, 3)).astype(float)
        span = 9 * cin * 7 * np.abs(w).max()
        t = np.sort(rng.uniform(-span / 4, span / 4, size=(cout, 7)), axis=1)
        inits += [
            helper.make_tensor(f"w{i}", TensorProto.FLOAT, w.shape, w.ravel()),
            helper.make_tensor(f"t{i}", TensorProto.FLOAT, t.shape, t.ravel()),
        ]
        nodes.append(
            helper.make_node(
                "Conv",
                [x, f"w{i}"],
                [f"c{i}"],
                name=f"conv{i}",
                kernel_shape=[3, 3],
                pads=[1, 1, 1, 1],
            )
        )
        nodes.append(
            helper.make_node(
                "MultiThreshold",
                [f"c{i}", f"t{i}"],
                [f"a{i}"],
                name=f"mt{i}",
                domain="qonnx.custom_op.general",
                out_dtype="UINT3",
            )
        )
        k, s, pads = (2, 2, [0, 0, 1, 1]) if i == 0 else (2, 1, [0, 0, 1, 1])
        nodes.append(
            helper.make_node(
                "MaxPool",
                [f"a{i}"],
                [f"p{i}"],
                name=f"pool{i}",
                kernel_shape=[k, k],
                strides=[s, s],
                pads=pads,
            )
        )
        x = f"p{i}"
        h = (h + 1 - k) // s + 1
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels[0], size, size])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, channels[-1], h, h])],
        initializer=inits,
    )
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    model.set_tensor_datatype("x", DataType["UINT3"])
    return model.transform(InferShapes()).transform(InferDataTypes())


@pytest.mark.parametrize("weight_kind", ["bipolar", "int3"])
@pytest.mark.parametrize("size", [11, 8])
def test_convert_to_hw_is_bit_exact(weight_kind, size):
    model = streamlined_model(size=size, weight_kind=weight_kind)
    x = np.random.default_rng(1).integers(0, 8, size=(1, 4, size, size)).astype(np.float32)
    hw = verified_transform(model, ConvertToHW(), {"x": x})
    ops = [n.op_type for n in hw.graph.node]
    assert ops == [
        "Transpose",
        "ZeroPad",
        "SlidingWindow",
        "MatrixVectorUnit",
        "StreamingMaxPool",
        "ZeroPad",
        "SlidingWindow",
        "MatrixVectorUnit",
        "StreamingMaxPool",
        "Transpose",
    ]
    mvu = next(n for n in hw.graph.node if n.op_type == "MatrixVectorUnit")
    expected = "BIPOLAR" if weight_kind == "bipolar" else "INT3"
    assert hw.get_tensor_datatype(mvu.input[1]).name == expected
    assert all(n.domain == DOMAIN for n in hw.graph.node if n.op_type != "Transpose")


def test_float_input_conv_stays_on_host():
    model = streamlined_model()
    model.set_tensor_datatype("x", DataType["FLOAT32"])
    hw = model.transform(ConvertToHW())
    assert hw.graph.node[0].op_type == "Conv"  # float input: first conv is not converted


def test_transpose_pairs_cancel_only_when_inverse():
    nodes = [
        helper.make_node("Transpose", ["x"], ["a"], perm=[0, 2, 3, 1]),
        helper.make_node("Transpose", ["a"], ["b"], perm=[0, 3, 1, 2]),
        helper.make_node("Relu", ["b"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3, 4])],
    )
    model = ModelWrapper(helper.make_model(graph))
    out = model.transform(RemoveTransposePairs())
    assert [n.op_type for n in out.graph.node] == ["Relu"]
    nodes[1] = helper.make_node("Transpose", ["a"], ["b"], perm=[0, 2, 3, 1])
    graph.ClearField("node")
    graph.node.extend(nodes)
    again = ModelWrapper(helper.make_model(graph)).transform(RemoveTransposePairs())
    assert len(again.graph.node) == 3
