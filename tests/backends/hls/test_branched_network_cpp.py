"""A stitched network with branches: a fork whose copies take paths of different latency
(a 3x3 max-pool beside a direct stream) into a residual add and a channel concat, then an
upsample; the g++ simulation of the whole network is bit-exact with numpy on every layer,
each layer's simulated cycles equal its op's cycles(). Folding set by hand (non-trivial)."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.backends.hls.network import build_network_code, render_network
from qnnflow.backends.hls.network_sim import first_mismatch
from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN
from qnnflow.ops.graph_queries import hw_op

H, W, C = 5, 7, 4


def hw(op_type: str, inputs: list[str], outputs: list[str], name: str, **attrs):
    return helper.make_node(op_type, inputs, outputs, name=name, domain=DOMAIN, **attrs)


def branched_model(dtype: str = "UINT3", word: int = 2) -> ModelWrapper:
    """x -> fork(3) -> [max-pool 3x3 | direct] -> add -> concat(with the third copy) -> up."""
    sum_dtype = "UINT4" if dtype == "UINT3" else "INT4"
    shape = [1, H, W, C]
    nodes = [
        hw("DuplicateStreams", ["x"], ["f0", "f1", "f2"], "fork", shape=shape,
           NumOutputStreams=3, SIMD=word, inputDataType=dtype, outputDataType=dtype),
        hw("StreamingMaxPool", ["f0"], ["p"], "pool", ImgDim=[H, W], Kernel=3, Stride=1,
           Pads=[1, 1, 1, 1], NumChannels=C, PE=word, inputDataType=dtype,
           outputDataType=dtype),
        hw("StreamingAdd", ["p", "f1"], ["s"], "residual", NumChannels=C, PE=word,
           numInputVectors=[1, H, W], inputDataTypes=[dtype, dtype],
           outputDataType=sum_dtype),
        hw("StreamingConcat", ["s", "f2"], ["c"], "route", ImgDim=[H, W],
           ChannelsPerStream=[C, C], inputDataTypes=[sum_dtype, dtype],
           outputDataType=sum_dtype, SIMD=word),
        hw("Upsample", ["c"], ["y"], "up", ImgDim=[H, W], Factor=[2, 2], NumChannels=2 * C,
           SIMD=word, inputDataType=sum_dtype, outputDataType=sum_dtype),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes,
        "branched",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2 * H, 2 * W, 2 * C])],
    )
    model = ModelWrapper(helper.make_model(graph))
    model.set_tensor_datatype("x", DataType[dtype])
    return model.transform(InferShapes()).transform(InferDataTypes())


@pytest.mark.parametrize("dtype,word", [("UINT3", 2), ("INT3", 4), ("UINT3", 1)])
def test_branched_network_is_bit_exact_on_every_layer(dtype, word):
    model = branched_model(dtype, word)
    dt = DataType[dtype]
    rng = np.random.default_rng(word)
    inputs = [
        rng.integers(int(dt.min()), int(dt.max()) + 1, size=(1, H, W, C)),
        np.full((1, H, W, C), int(dt.max())),  # saturating sums
        np.full((1, H, W, C), int(dt.min())),
    ]
    for x in inputs:
        mismatch, sim = first_mismatch(model, x.astype(np.float32))
        assert mismatch is None, str(mismatch)
    assert sim.cycles == {n.name: hw_op(n).cycles() for n in model.graph.node}


def test_a_differing_branch_layer_is_named(monkeypatch):
    """The comparison can fail: numpy's add made off by one is caught at the add."""
    from qnnflow.ops.add import StreamingAdd

    model = branched_model()
    reference = StreamingAdd.reference
    monkeypatch.setattr(StreamingAdd, "reference", lambda self, a, b: reference(self, a, b) + 1)
    x = np.zeros((1, H, W, C), dtype=np.float32)
    mismatch, _ = first_mismatch(model, x)
    assert mismatch is not None and mismatch.layer == "residual"
    assert (mismatch.expected, mismatch.actual) == (1, 0)


def test_a_concat_too_narrow_for_its_inputs_is_refused():
    model = branched_model()
    route = next(n for n in model.graph.node if n.name == "route")
    hw_op(route).set_nodeattr("outputDataType", "UINT3")
    with pytest.raises(QnnflowError, match="cannot hold input 0 of type UINT4"):
        build_network_code(model)


def test_stitched_top_declares_every_branch_stream():
    model = branched_model()
    net = build_network_code(model)
    top = render_network(model, net)["qnnflow_accel.cpp"]
    assert "L_fork(s_x, s_f0, s_f1, s_f2);" in top
    assert "L_residual(s_p, s_f1, s_s);" in top
    assert "L_route(s_s, s_f2, s_c);" in top
    for tensor in ("f0", "f1", "f2", "p", "s", "c", "y"):
        assert f"#pragma HLS STREAM variable=s_{tensor} depth=2" in top
    assert [layer.name for layer in net.layers] == [
        "L_fork",
        "L_pool",
        "L_residual",
        "L_route",
        "L_up",
    ]
