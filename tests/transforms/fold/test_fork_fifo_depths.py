"""FIFO depths at forks and joins on the YOLOv3-tiny-like route graph: the early branch into
the concat gets the documented lag bound, everything else a register slice; folding, width
converters and FIFOs keep the results bit-exact."""

from __future__ import annotations

from fractions import Fraction
from math import ceil

import pytest

from qnnflow.boards import load_board
from qnnflow.errors import QnnflowError
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.transforms.fold import AutoFold, InsertFIFOs, InsertWidthConverters
from qnnflow.transforms.fold.branch_latency import arrival_fractions
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.verify import verified_transform
from tests.transforms.fold.stream_sim import simulate
from tests.transforms.to_hw.yolo_like import random_input, route_model

pytestmark = pytest.mark.filterwarnings("ignore:The values of tensor route")


@pytest.fixture(scope="module")
def hw():
    return route_model(size=8).transform(ConvertToHW())


def fifo_depths(model) -> dict[str, int]:
    return {
        n.name: hw_op(n).get_nodeattr("depth")
        for n in hw_nodes(model)
        if n.op_type == "StreamingFIFO"
    }


def test_early_branch_into_the_route_gets_the_lag_bound(hw):
    depths = fifo_depths(hw.transform(InsertFIFOs()))
    # the long branch after the fork, unfolded, 8x8x8 -> pool -> 4x4 convs -> upsample:
    # (fill words + 1) / words per frame of each node, from the ops' geometry
    lag = (
        Fraction(((2 - 1) * 8 + 2) * 8 + 1, 8 * 8 * 8)  # max-pool 2x2 on 8x8x8
        + Fraction(0 + 1, 4 * 4 * 8)  # zero pad
        + Fraction(((3 - 1) * 6 + 3) * 8 + 1, 6 * 6 * 8)  # 3x3 windows on 6x6x8
        + Fraction(72 + 1, 16 * 72)  # MVU, one 72-element vector
        + Fraction(1 + 1, 4 * 4 * 16)  # fork of conv1's output
        + Fraction(16 + 1, 4 * 4 * 16)  # 1x1 windows
        + Fraction(16 + 1, 16 * 16)  # MVU
        + Fraction(1 + 1, 4 * 4 * 8)  # upsample
    )
    assert depths["route_hw_fifo1"] == ceil(lag * 8 * 8 * 8) + 2 == 415
    assert depths["route_hw_fifo"] == 2  # the late branch waits for nobody
    bursty = {"conv0_swg_fifo", "conv1_swg_fifo", "conv2_swg_fifo", "head1_swg_fifo"}
    bursty |= {"upsample_hw_fifo", "conv3_swg_fifo"}  # 3 input rows before line buffers
    assert all(d == 2 for name, d in depths.items() if name not in {"route_hw_fifo1", *bursty})
    assert all(depths[name] >= 32 for name in bursty & depths.keys())
    arrival = arrival_fractions(hw)
    concat = next(n for n in hw.graph.node if n.op_type == "StreamingConcat")
    assert arrival[concat.input[0]] > arrival[concat.input[1]]


def test_frame_buffered_branch_needs_a_whole_frame(hw):
    swg = next(n for n in hw.graph.node if n.name == "conv1_swg")
    hw_op(swg).set_nodeattr("frameBuffer", 1)
    try:
        depths = fifo_depths(hw.transform(InsertFIFOs()))
    finally:
        hw_op(swg).set_nodeattr("frameBuffer", 0)
    assert depths["route_hw_fifo1"] >= 8 * 8 * 8 + 2


def test_folded_route_graph_stays_bit_exact_with_fifos_everywhere():
    model = route_model(size=8, seed=3)
    x = random_input(8, 4)
    hw = verified_transform(model, ConvertToHW(), x)
    folded = verified_transform(hw, AutoFold(load_board("pynq_z2")), x)
    converted = verified_transform(folded, InsertWidthConverters(), x)
    buffered = verified_transform(converted, InsertFIFOs(depths={"route_hw:1": 999}), x)
    for node in hw_nodes(buffered):
        if node.op_type == "StreamingFIFO":
            continue
        hw_op(node).check_folding()
        for tensor in node.input:
            producer = buffered.find_producer(tensor)
            if producer is not None and producer.domain == node.domain:
                assert producer.op_type == "StreamingFIFO"
    concat = next(n for n in buffered.graph.node if n.op_type == "StreamingConcat")
    simd = hw_op(concat).get_nodeattr("SIMD")
    fifo0, fifo1 = (hw_op(buffered.find_producer(t)) for t in concat.input)
    assert fifo1.get_nodeattr("depth") == 999  # the override wins over the bound
    assert fifo0.get_nodeattr("elemsPerWord") == fifo1.get_nodeattr("elemsPerWord") == simd
    bound = fifo_depths(converted.transform(InsertFIFOs()))["route_hw_fifo1"]
    assert simd > 1 and 2 < bound < 415  # counted in folded words (415 unfolded, above)


def test_unforked_stream_with_two_readers_is_refused():
    broken = route_model(size=8).transform(ConvertToHW())
    fork = next(n for n in broken.graph.node if n.op_type == "DuplicateStreams")
    for reader in broken.find_consumers(fork.output[1]):
        reader.input[list(reader.input).index(fork.output[1])] = fork.output[0]
    with pytest.raises(QnnflowError, match="insert a DuplicateStreams fork first"):
        broken.transform(InsertFIFOs())
    with pytest.raises(QnnflowError, match="must be >= 1"):
        InsertFIFOs(depths={"route_hw:1": 0})


def test_word_level_simulation_deadlocks_below_the_bound_and_not_at_it(hw):
    """With the word-level simulation (fifo_sim) the bound (415 words) finishes, a register
    slice or a quarter of the bound deadlocks."""
    finished, cycles = simulate(hw.transform(InsertFIFOs()))
    assert finished and cycles > 8 * 8 * 8
    for depth in (2, 110):
        finished, _ = simulate(hw.transform(InsertFIFOs(depths={"route_hw:1": depth})))
        assert not finished
