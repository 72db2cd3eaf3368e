"""The generated C++ of the trained Tinier-YOLO's hidden layers, folded for the PYNQ-Z2
(conv6/conv7 streaming weights from DDR), reproduces the board's verification.bin from
input.bin: 0 mismatches of 86,528, and every layer's simulated cycles equal its estimate;
the fast mode (values only) gives the same output."""

from __future__ import annotations

import numpy as np
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.network_sim import simulate_network
from tests.tinier_golden import (
    GOLDEN_ELEMENTS,
    folded_hidden_layers,
    golden_input,
    golden_mismatches,
)


def test_generated_cpp_matches_board_golden(tinier_yolo_dir):
    model = folded_hidden_layers(tinier_yolo_dir)
    modes = {
        n.name: getCustomOp(n).get_nodeattr("mem_mode")
        for n in model.graph.node
        if n.op_type == "MatrixVectorUnit"
    }
    assert modes["conv6_mvu"] == modes["conv7_mvu"] == "stream_ddr"
    x = golden_input(tinier_yolo_dir)
    sim = simulate_network(model, x)
    assert golden_mismatches(sim.output[0], tinier_yolo_dir) == (0, GOLDEN_ELEMENTS)
    fast = simulate_network(model, x, fast=True)
    np.testing.assert_array_equal(fast.output, sim.output)
    for node in model.graph.node:
        if node.op_type not in ("StreamingFIFO", "WidthConverter"):  # see the closing note
            assert sim.cycles[node.name] == getCustomOp(node).cycles(), node.name
