"""The whole-in-fabric Tinier-YOLO (--first-last fabric): streamlining and to_hw put conv0
(8-bit image and weights, 3-bit thresholds) and conv8 (8-bit weights, accumulators out) in
hardware beside the untouched hidden layers; only the input quantizer, layout changes and the
head's dequantization stay on the host. Small input (64x64): numpy execution only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp

from qnnflow.analysis.host_nodes import host_nodes
from qnnflow.errors import QnnflowError
from qnnflow.frontend.binparams import hidden_layers_model, load_binparams
from qnnflow.frontend.binparams.models import detector_model
from qnnflow.transforms.streamline import Streamline
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.verify import verified_transform


@pytest.fixture
def params(tinier_yolo_dir):
    loaded = load_binparams(tinier_yolo_dir / "tinier_yolo_w1a3.npz")
    return dataclasses.replace(loaded, input_size=(64, 64))


def _hardware(model, x):
    streamlined = verified_transform(model, Streamline(), {"input": x}, rtol=1e-4)
    return verified_transform(streamlined, ConvertToHW(), {"input": x}, rtol=1e-4)


def test_fabric_variant_has_every_conv_in_hardware(params):
    rng = np.random.default_rng(0)
    x = rng.random((1, 3, 64, 64), dtype=np.float32)
    fabric = detector_model(params, first_last="fabric")
    hw = _hardware(fabric, x)
    assert [n.name for n in hw.graph.node if n.op_type == "Conv"] == []
    mvus = [getCustomOp(n) for n in hw.graph.node if n.op_type == "MatrixVectorUnit"]
    assert len(mvus) == 9  # conv0, the seven hidden layers, conv8
    assert mvus[0].get_nodeattr("inputDataType") == "UINT8"
    assert mvus[0].get_nodeattr("numThresholds") == 7
    assert mvus[-1].get_nodeattr("numThresholds") == 0 and mvus[-1].output_dtype().signed()
    on_host = sorted({n.op_type for n in host_nodes(hw)})
    assert on_host == ["Add", "Mul", "MultiThreshold", "Transpose"]
    # the hidden layers are the board's: same weights and thresholds as the host variant's
    board = _hardware(detector_model(params), x)
    hidden = {n.name: n for n in board.graph.node if n.op_type == "MatrixVectorUnit"}
    assert len(hidden) == 7
    for node in hw.graph.node:
        if node.name in hidden:
            for mine, theirs in zip(node.input[1:], hidden[node.name].input[1:], strict=True):
                assert np.array_equal(hw.get_initializer(mine), board.get_initializer(theirs))


def test_hidden_outputs_equal_the_board_graph_for_the_same_codes(params):
    x = np.random.default_rng(1).random((1, 3, 64, 64), dtype=np.float32)
    fabric = detector_model(params, first_last="fabric")
    context = execute_onnx(fabric, {"input": x}, return_full_exec_context=True)
    codes = context["conv0_codes"]
    assert set(np.unique(codes)) <= set(range(8)) and len(np.unique(codes)) > 1
    hidden = hidden_layers_model(params)
    want = execute_onnx(hidden, {"codes": codes.transpose(0, 2, 3, 1)})
    board = detector_model(params)
    out = board.find_producer("hidden_out_nchw").input[0]
    assert np.array_equal(context[out], want[hidden.graph.output[0].name])


def test_bad_first_last_is_refused(params):
    with pytest.raises(QnnflowError, match="first_last must be one of host, fabric"):
        detector_model(params, first_last="board")
    with pytest.raises(QnnflowError, match="host_bits applies to host convs"):
        detector_model(params, 8, first_last="fabric")
