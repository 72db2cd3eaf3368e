"""A tiny residual classifier: conv -> conv, their sum requantized by a MultiThreshold on its
own, a global sum (ReduceSum over H, W, what streamlining makes of an average pool), a
flatten, thresholds and a fully connected layer. Everything but the boundary Transposes
becomes hardware (Thresholding, GlobalAccPool); numpy before/after and the stitched C++
simulation agree bit-exactly. Pools and thresholds that cannot be streams keep a reason."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.backends.hls.network_sim import first_mismatch
from qnnflow.ops.graph_queries import hw_op
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.transforms.to_hw.convert_global_pool import reason_not_convertible
from qnnflow.transforms.to_hw.convert_threshold import ConvertThresholdToHW
from qnnflow.verify import verified_transform
from tests.transforms.to_hw.yolo_like import MT_DOMAIN, _Builder


def _mt(b: _Builder, x: str, name: str, t: np.ndarray, out_dtype="UINT3", bias=0.0) -> str:
    b.nodes.append(
        helper.make_node(
            "MultiThreshold",
            [x, b.const(f"{name}_t", t.astype(float))],
            [f"{name}_out"],
            name=name,
            domain=MT_DOMAIN,
            out_dtype=out_dtype,
            out_bias=bias,
        )
    )
    return f"{name}_out"


def classifier(size: int = 5, seed: int = 0, sum_op: str = "ReduceSum") -> ModelWrapper:
    b = _Builder(seed)
    a0 = b.conv_act("x", "conv0", 3, 8, 3)
    a1 = b.conv_act(a0, "conv1", 8, 8, 3, signed_out=True)
    b.nodes.append(helper.make_node("Add", [a0, a1], ["sum"], name="residual"))
    # per-channel thresholds on the INT5 sum [-4, 10], some exactly on reachable values
    t = np.sort(b.rng.integers(-4, 11, size=(8, 7)), axis=1)
    r = _mt(b, "sum", "relu_after_add", t)
    if sum_op == "ReduceSum":
        axes = b.const("axes", np.array([2, 3]))
        b.nodes.append(helper.make_node("ReduceSum", [r, axes], ["pooled"], name="pool"))
    else:
        b.nodes.append(helper.make_node("GlobalAveragePool", [r], ["pooled"], name="pool"))
    b.nodes.append(helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten"))
    span = 7 * size * size
    t2 = np.sort(b.rng.integers(0, span, size=(1, 15)), axis=1)
    q = _mt(b, "flat", "requant", t2 if sum_op == "ReduceSum" else t2 / (size * size),
            "INT4", -8.0)  # fmt: skip
    w = b.rng.integers(-8, 8, size=(8, 4)).astype(float)
    b.nodes.append(helper.make_node("MatMul", [q, b.const("fc_w", w)], ["y"], name="fc"))
    graph = helper.make_graph(
        b.nodes,
        "tiny_resnet",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        initializer=b.inits,
    )
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    model.set_initializer("axes", np.array([2, 3], dtype=np.int64)) if sum_op == "ReduceSum" else 0
    model.set_tensor_datatype("x", DataType["UINT3"])
    model = model.transform(InferShapes()).transform(InferDataTypes())
    if sum_op == "ReduceSum":  # as GlobalMeanToSum types it
        model.set_tensor_datatype("pooled", DataType["UINT8"])  # 25 * 7 = 175
        model = model.transform(InferDataTypes())
    return model


def frames(size: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (1, 3, size, size)
    return [
        rng.integers(0, 8, size=shape).astype(np.float32),
        np.zeros(shape, dtype=np.float32),
        np.full(shape, 7, dtype=np.float32),
    ]


@pytest.mark.parametrize("size,seed", [(5, 0), (4, 1)])
def test_threshold_after_add_and_global_sum_go_to_hardware(size, seed):
    model = classifier(size, seed)
    hw = verified_transform(model, ConvertToHW(), {"x": frames(size, seed)[0]})
    host = [n.op_type for n in hw.graph.node if n.domain != "qnnflow.ops"]
    assert host == ["Transpose"], host  # the input's layout change only
    ops = [n.op_type for n in hw.graph.node]
    assert ops.count("Thresholding") == 2 and ops.count("GlobalAccPool") == 1
    pool = hw_op(next(n for n in hw.graph.node if n.op_type == "GlobalAccPool"))
    assert pool.input_dtype() == DataType["UINT3"]
    assert pool.output_dtype() == DataType[f"UINT{(7 * size * size).bit_length()}"]
    after_add = hw_op(next(n for n in hw.graph.node if n.name == "relu_after_add_hw"))
    assert after_add.input_dtype() == DataType["INT5"]
    for x in frames(size, seed):
        mismatch, sim = first_mismatch(hw, x)
        assert mismatch is None, str(mismatch)
    assert sim.cycles[pool.onnx_node.name] == pool.cycles() == size * size * 8


def test_a_mean_converts_with_its_scale_on_the_host():
    """Without streamlining, a GlobalAveragePool of integers keeps 1/(H*W) as a host Mul
    right after the GlobalAccPool: the thresholds after it cannot convert (float input)."""
    model = classifier(5, 2, sum_op="GlobalAveragePool")
    hw = model.transform(ConvertToHW())
    pool = next(n for n in hw.graph.node if n.op_type == "GlobalAccPool")
    scale = next(n for n in hw.graph.node if n.name == "pool_scale")
    assert scale.op_type == "Mul"
    assert float(hw.get_initializer(scale.input[1])) == np.float32(1 / 25)
    assert pool.name == "pool_hw"
    requant = next(n for n in hw.graph.node if n.name == "requant")
    reason = ConvertThresholdToHW.decline_reason(hw, requant)
    assert reason == "input datatype FLOAT32 is not integer"


def test_pools_and_thresholds_that_stay_on_the_host_say_why():
    model = classifier(4, 0)
    pool = next(n for n in model.graph.node if n.name == "pool")
    assert reason_not_convertible(model, pool) is None
    model.set_initializer("axes", np.array([1], dtype=np.int64))
    assert reason_not_convertible(model, pool) == "axes=[1] are not the spatial axes [2, 3]"
    model.set_initializer("axes", np.array([2, 3], dtype=np.int64))
    model.set_tensor_datatype(pool.input[0], DataType["FLOAT32"])
    assert "is FLOAT32, not integer" in reason_not_convertible(model, pool)
    first = classifier(4, 0)
    mt = next(n for n in first.graph.node if n.name == "relu_after_add")
    assert ConvertThresholdToHW.decline_reason(first, mt) == (
        "its input 'sum' comes from Add 'residual', not from a hardware stream"
    )
