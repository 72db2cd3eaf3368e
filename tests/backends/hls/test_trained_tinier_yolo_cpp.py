"""The generated C++ of the trained Tinier-YOLO's hidden layers, folded for the PYNQ-Z2
(conv6/conv7 streaming weights from DDR), reproduces the board's verification.bin from
input.bin: 0 mismatches of 86,528, and every layer's simulated cycles equal its estimate;
the fast mode (values only) gives the same output."""

from __future__ import annotations

import numpy as np
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.network_sim import simulate_network
from qnnflow.boards import load_board
from qnnflow.frontend.binparams import hidden_layers_model, load_binparams
from qnnflow.packing import read_packed_frame
from qnnflow.transforms.fold import AutoFold, InsertFIFOs, InsertWidthConverters


def test_generated_cpp_matches_board_golden(tinier_yolo_dir):
    model = hidden_layers_model(load_binparams(tinier_yolo_dir / "tinier_yolo_w1a3.npz"))
    board = load_board("pynq_z2")
    for transform in (AutoFold(board), InsertWidthConverters(), InsertFIFOs()):
        model = model.transform(transform)
    modes = {
        n.name: getCustomOp(n).get_nodeattr("mem_mode")
        for n in model.graph.node
        if n.op_type == "MatrixVectorUnit"
    }
    assert modes["conv6_mvu"] == modes["conv7_mvu"] == "stream_ddr"
    # input.bin / verification.bin are in the hardware frame (transposed): swap H and W
    codes = read_packed_frame(tinier_yolo_dir / "input.bin", 208, 208, 16, 3)
    sim = simulate_network(model, codes.transpose(1, 0, 2)[None])
    golden = read_packed_frame(tinier_yolo_dir / "verification.bin", 13, 13, 512, 3)
    mismatches = int(np.count_nonzero(sim.output[0].transpose(1, 0, 2) != golden))
    assert (mismatches, golden.size) == (0, 86528)
    fast = simulate_network(model, codes.transpose(1, 0, 2)[None], fast=True)
    np.testing.assert_array_equal(fast.output, sim.output)
    for node in model.graph.node:
        if node.op_type not in ("StreamingFIFO", "WidthConverter"):  # see the closing note
            assert sim.cycles[node.name] == getCustomOp(node).cycles(), node.name
