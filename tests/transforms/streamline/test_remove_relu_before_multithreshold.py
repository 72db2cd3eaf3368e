"""RemoveReluBeforeMultiThreshold: Relu -> MultiThreshold(T > 0) -> MultiThreshold."""

from __future__ import annotations

import numpy as np

from qnnflow.transforms.streamline import RemoveReluBeforeMultiThreshold
from qnnflow.verify import verified_transform
from tests.transforms.streamline.graphs import Chain, check, floats, op_types

SHAPE = [1, 2, 5, 5]


def _model(thresholds):
    chain = Chain(SHAPE).op("Relu")
    chain.op("MultiThreshold", np.asarray(thresholds, np.float32), qonnx=True, out_dtype="UINT2")
    return chain.model(SHAPE)


def test_relu_is_dropped_when_every_threshold_is_positive():
    after = check(_model([[0.5, 1.5, 2.5]]), RemoveReluBeforeMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["MultiThreshold"]


def test_relu_stays_when_a_threshold_is_not_positive():
    after = check(_model([[-0.5, 1.5, 2.5]]), RemoveReluBeforeMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["Relu", "MultiThreshold"]


def test_relu_stays_when_a_threshold_is_exactly_zero():
    """max(x, 0) >= 0 holds for every x, x >= 0 not for negative x."""
    after = check(_model([[0.0, 1.5, 2.5]]), RemoveReluBeforeMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["Relu", "MultiThreshold"]


def test_relu_read_elsewhere_too_stays_for_its_other_reader():
    """The thresholding reads x directly; the ReLU stays for the graph output reading it."""
    chain = Chain(SHAPE).op("Relu")
    relu_out = chain.head
    chain.op(
        "MultiThreshold", np.array([[0.5, 1.5, 2.5]], np.float32), qonnx=True, out_dtype="UINT2"
    )
    model = chain.model(SHAPE, also=((relu_out, SHAPE),))
    after = check(model, RemoveReluBeforeMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["Relu", "MultiThreshold"]
    assert after.graph.node[1].input[0] == "x"


def test_relu_feeding_a_second_node_stays():
    chain = Chain(SHAPE).op("Relu")
    relu_out = chain.head
    chain.op(
        "MultiThreshold", np.array([[0.5, 1.5, 2.5]], np.float32), qonnx=True, out_dtype="UINT2"
    )
    side = chain.builder.node("Neg", [relu_out], "side")
    model = chain.model(SHAPE, also=((side, SHAPE),))
    after = check(model, RemoveReluBeforeMultiThreshold(), floats(SHAPE))
    assert sorted(op_types(after)) == ["MultiThreshold", "Neg", "Relu"]


def test_a_thresholding_without_relu_in_front_is_passed_over():
    """x -> MT1 (reads the graph input) -> Relu -> MT2: only MT2's ReLU goes."""
    chain = Chain(SHAPE)
    chain.op(
        "MultiThreshold", np.array([[-0.5, 0.5, 1.5]], np.float32), qonnx=True, out_dtype="UINT2"
    )
    chain.op("Relu")
    chain.op(
        "MultiThreshold", np.array([[0.5, 1.5, 2.5]], np.float32), qonnx=True, out_dtype="UINT2"
    )
    after = check(chain.model(SHAPE), RemoveReluBeforeMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["MultiThreshold", "MultiThreshold"]


def test_thresholds_given_at_run_time_keep_the_relu():
    chain = Chain(SHAPE).op("Relu")
    t_input = chain.builder.add_input("t", [2, 2])
    model = chain.op("MultiThreshold", t_input, qonnx=True, out_dtype="UINT2").model(SHAPE)
    feed = {"x": floats(SHAPE), "t": np.array([[0.5, 1.5], [1.0, 2.0]], np.float32)}
    after = verified_transform(model, RemoveReluBeforeMultiThreshold(), feed)
    assert op_types(after) == ["Relu", "MultiThreshold"]


def test_stacked_relus_all_go():
    """Relu -> Relu -> MultiThreshold: once the second goes, the first feeds the thresholding
    and goes on the next sweep."""
    chain = Chain(SHAPE).op("Relu").op("Relu")
    chain.op(
        "MultiThreshold", np.array([[0.5, 1.5, 2.5]], np.float32), qonnx=True, out_dtype="UINT2"
    )
    after = check(chain.model(SHAPE), RemoveReluBeforeMultiThreshold(), floats(SHAPE))
    assert op_types(after) == ["MultiThreshold"]
