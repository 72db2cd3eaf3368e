"""Folding configs and the automatic folder on small hardware graphs (no shared data)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.analysis.estimate import estimate_network
from qnnflow.boards import load_board
from qnnflow.errors import QnnflowError
from qnnflow.frontend.binparams import hidden_layers_model
from qnnflow.frontend.binparams.params import HiddenLayer, TinierYoloParams
from qnnflow.ops import FoldingError
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.transforms.fold import ApplyFoldingConfig, AutoFold, extract_folding_config


def small_params(channels=(8, 16, 32, 64), size=32, seed=0) -> TinierYoloParams:
    """A Tinier-YOLO-shaped stack of binary convs with random weights and thresholds."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (cin, cout) in enumerate(zip(channels, channels[1:], strict=False), start=1):
        weight = rng.choice([-1, 1], size=(cout, cin, 3, 3)).astype(np.int8)
        thresholds = np.sort(rng.integers(-9 * cin, 9 * cin, size=(cout, 7)), axis=1)
        pool = (2, 2, 0) if i < len(channels) - 1 else (2, 1, 1)
        layers.append(HiddenLayer(i, weight, thresholds, 1, pool))
    return TinierYoloParams(
        hidden=layers,
        conv0_weight=np.zeros((channels[0], 3, 3, 3), np.float32),
        conv0_bias=np.zeros(channels[0], np.float32),
        conv0_stride=2,
        conv0_pad=1,
        act_clip_max=4.0,
        act_levels=7,
        conv8_weight=np.zeros((5, channels[-1], 1, 1), np.float32),
        conv8_bias=np.zeros(5, np.float32),
        conv8_input_scale=1.0,
        anchors=np.ones((1, 2), np.float32),
        classes=0,
        coords=4,
        num=1,
        names=[],
        input_size=(2 * size, 2 * size),
    )


@pytest.fixture
def model():
    return hidden_layers_model(small_params())


def run(model, seed=1):
    shape = [int(d) for d in model.get_tensor_shape("codes")]
    x = np.random.default_rng(seed).integers(0, 8, size=shape).astype(np.float32)
    return execute_onnx(model, {"codes": x})[model.graph.output[0].name]


def test_auto_fold_max_fps_is_legal_fits_and_keeps_results(model):
    board = load_board("pynq_z2")
    folded = model.transform(AutoFold(board))
    for node in hw_nodes(folded):
        hw_op(node).check_folding()
    estimate = estimate_network(folded, board)
    assert all(u <= 0.9 + 1e-9 for u in estimate.utilization(board).values())
    unfolded = estimate_network(model, board)
    assert estimate.fps > 50 * unfolded.fps
    np.testing.assert_array_equal(run(folded), run(model))


def test_auto_fold_is_balanced_to_the_bottleneck(model):
    board = load_board("pynq_z2")
    folded = model.transform(AutoFold(board, target_fps=2000))
    estimate = estimate_network(folded, board)
    assert estimate.fps >= 2000
    mvus = [layer for layer in estimate.layers if layer.op_type == "MatrixVectorUnit"]
    assert all(layer.cycles <= board.clock_mhz * 1e6 / 2000 for layer in mvus)


def test_unreachable_target_says_what_fits(model):
    with pytest.raises(QnnflowError, match=r"target 1e\+09 fps does not fit pynq_z2.*best"):
        model.transform(AutoFold(load_board("pynq_z2"), target_fps=1e9))


def test_tiny_budget_fails_clearly(model, tmp_path):
    text = (
        load_board("pynq_z2")
        .path.read_text()
        .replace("LUT: 53200", "LUT: 900")
        .replace("LUTRAM: 17400", "LUTRAM: 100")
    )
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    with pytest.raises(QnnflowError, match="no folding fits") as failure:
        model.transform(AutoFold(load_board(str(path))))
    # the message names the layers using most of the resource that overran, largest first
    named = re.search(r"most (\w+): (.*)$", str(failure.value))
    assert named is not None, str(failure.value)
    mvus = {n.name for n in hw_nodes(model) if n.op_type == "MatrixVectorUnit"}
    listed = [item.rsplit(" ", 1) for item in named.group(2).split(", ")]
    assert listed and {name for name, _ in listed} <= mvus
    amounts = [float(amount.replace(",", "")) for _, amount in listed]
    assert amounts == sorted(amounts, reverse=True)


def test_config_roundtrip_and_errors(model):
    folded = model.transform(AutoFold(load_board("pynq_z2")))
    config = extract_folding_config(folded)
    again = model.transform(ApplyFoldingConfig(config))
    assert extract_folding_config(again) == config
    with pytest.raises(QnnflowError, match="names 'conv9_mvu', which is not a hardware node"):
        model.transform(ApplyFoldingConfig({"conv9_mvu": {"PE": 1}}))
    with pytest.raises(QnnflowError, match="has no folding attribute 'MW'"):
        model.transform(ApplyFoldingConfig({"conv1_mvu": {"MW": 3}}))
    with pytest.raises(FoldingError, match="conv1_mvu': PE=3 must divide MH"):
        model.transform(ApplyFoldingConfig({"conv1_mvu": {"PE": 3}}))


def test_streaming_weights_sets_frame_buffers_downstream(model):
    config = {"conv2_mvu": {"mem_mode": "stream_ddr", "PE": 4}}
    streamed = model.transform(ApplyFoldingConfig(config))
    assert hw_op(streamed.get_node_from_name("conv2_swg")).get_nodeattr("frameReplays") == 8
    assert hw_op(streamed.get_node_from_name("conv3_swg")).get_nodeattr("frameBuffer") == 1
    assert hw_op(streamed.get_node_from_name("conv1_swg")).get_nodeattr("frameBuffer") == 0
    mvu = hw_op(streamed.get_node_from_name("conv2_mvu"))
    assert mvu.ddr_bytes_per_frame() == 9 * 16 * 32 // 8  # MW x MH bits, once per frame
    np.testing.assert_array_equal(run(streamed), run(model))


def test_width_converters_join_mismatched_streams(model):
    from qnnflow.transforms.fold import InsertWidthConverters

    folded = model.transform(AutoFold(load_board("pynq_z2")))
    converted = folded.transform(InsertWidthConverters())
    for node in hw_nodes(converted):
        producer = converted.find_producer(node.input[0])
        if producer is not None and producer.domain == node.domain:
            assert hw_op(producer).folded_output_shape()[-1] == hw_op(node).folded_input_shape()[-1]
    added = len(converted.graph.node) - len(folded.graph.node)
    assert added == sum(n.op_type == "WidthConverter" for n in converted.graph.node) > 0
    again = converted.transform(InsertWidthConverters())
    assert len(again.graph.node) == len(converted.graph.node)
    np.testing.assert_array_equal(run(converted), run(model))


def test_fifos_sit_on_every_hardware_stream(model):
    from qnnflow.transforms.fold import InsertFIFOs, InsertWidthConverters

    folded = model.transform(AutoFold(load_board("pynq_z2"))).transform(InsertWidthConverters())
    buffered = folded.transform(InsertFIFOs(depths={"conv2_swg": 64}))
    for node in hw_nodes(buffered):
        producer = buffered.find_producer(node.input[0])
        if node.op_type != "StreamingFIFO" and producer is not None:
            assert producer.op_type == "StreamingFIFO"
    fifos = {n.name: hw_op(n) for n in hw_nodes(buffered) if n.op_type == "StreamingFIFO"}
    assert fifos["conv2_swg_fifo"].get_nodeattr("depth") == 64
    for name, fifo in fifos.items():  # the lag rule: 3 input rows before a line buffer
        node = next(n for n in hw_nodes(buffered) if n.name == name)
        consumer = buffered.find_consumer(node.output[0])
        burst = hw_op(consumer).burst_words()[0]
        if name != "conv2_swg_fifo":
            depth = fifo.get_nodeattr("depth")
            assert depth == 2 if burst == 0 else depth >= min(3 * burst, fifo.words_per_frame())
    for fifo in fifos.values():
        fifo.check_folding()
    np.testing.assert_array_equal(run(buffered), run(model))


def test_plumbing_behind_a_replaying_window_counts_every_replay(model):
    """The FIFO (and any width converter) between a replaying SlidingWindow and its
    stream_ddr MVU passes R = MH/PE copies of the windows: their cycles say so, so the
    estimate sees them as busy as the MVU they feed."""
    from qnnflow.transforms.fold import InsertFIFOs, InsertWidthConverters

    config = {"conv2_mvu": {"mem_mode": "stream_ddr", "PE": 4, "SIMD": 4}, "conv2_swg": {}}
    config["conv2_swg"]["SIMD"] = 8  # the converter regroups 8 -> 4 elements per word
    folded = model.transform(ApplyFoldingConfig(config))
    plumbed = folded.transform(InsertWidthConverters()).transform(InsertFIFOs())
    dwc = hw_op(plumbed.get_node_from_name("conv2_mvu_dwc"))
    fifo = hw_op(plumbed.get_node_from_name("conv2_mvu_fifo"))
    mvu = hw_op(plumbed.get_node_from_name("conv2_mvu"))
    replays = 32 // 4
    assert dwc.get_nodeattr("frameReplays") == fifo.get_nodeattr("frameReplays") == replays
    windows = 16 * 16 * 9 * 16  # 16x16 output pixels of 3x3x16 windows
    assert fifo.cycles() == mvu.cycles() == replays * windows // 4
    assert dwc.cycles() == replays * windows // 4
    other = hw_op(plumbed.get_node_from_name("conv2_swg_fifo"))
    assert other.get_nodeattr("frameReplays") == 1  # in front of the window: one frame
    estimate = estimate_network(plumbed, load_board("pynq_z2"))
    layers = {layer.name: layer for layer in estimate.layers}
    assert layers["conv2_mvu_fifo"].cycles == layers["conv2_mvu"].cycles
    np.testing.assert_array_equal(run(plumbed), run(model))
