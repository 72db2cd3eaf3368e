"""FIFO sizing by RTL simulation on a small route graph (a sliding window and a max-pool as
bursty producers, a fork whose branches join at a concat): the sized design reaches the
slowest layer's interval where depth-2 FIFOs do not, stays bit-exact and deadlock-free under
random gaps and backpressure, shrinking a sized FIFO a lot loses throughput, sizing is
deterministic, and the build's --fifo-sizing and folding config reach InsertFIFOs."""

from __future__ import annotations

import pytest

import qnnflow.flow as flow_api
from qnnflow.backends.rtl.network_sim import simulate_network_rtl
from qnnflow.boards import load_board
from qnnflow.cli import main
from qnnflow.errors import QnnflowError
from qnnflow.flow import fold_step
from qnnflow.ops.graph_queries import hw_op
from qnnflow.transforms.fold import (
    AutoFold,
    InsertFIFOs,
    InsertWidthConverters,
    extract_folding_config,
    insert_fifos,
)
from qnnflow.transforms.fold.fifo_rtlsim import (
    TOLERANCE,
    fifo_nodes,
    free_depth,
    simulate_fifo_levels,
    slowest_cycles,
)
from qnnflow.transforms.fold.fifo_sim import join_fifos
from qnnflow.transforms.fold.insert_fifos import fifo_depths
from qnnflow.transforms.to_hw import ConvertToHW
from tests.transforms.to_hw.yolo_like import random_input, route_model

pytestmark = pytest.mark.filterwarnings("ignore:The values of tensor route")


@pytest.fixture(scope="module")
def hw():
    return route_model(size=8, seed=3).transform(ConvertToHW())


@pytest.fixture(scope="module")
def folded(hw):
    return hw.transform(AutoFold(load_board("pynq_z2"))).transform(InsertWidthConverters())


@pytest.fixture(scope="module")
def sized(folded):
    return folded.transform(InsertFIFOs(fifo_sizing="rtlsim"))


def _depths(model) -> dict[str, int]:
    return {n.name: hw_op(n).get_nodeattr("depth") for n in fifo_nodes(model)}


def test_free_depth_rounds_up_to_what_the_memory_holds_at_the_same_cost():
    assert [free_depth(n, 8) for n in (1, 2, 3, 32)] == [2, 2, 32, 32]
    assert free_depth(33, 8) == 4096  # one BRAM36 holds 4096 x 9 bits
    assert free_depth(600, 36) == 1024 and free_depth(1025, 36) == 2048


def _register_slices(model):
    """A copy with every FIFO but the join's lag-bound ones 2 words deep (the old rule)."""
    model = model.transform(InsertFIFOs())  # no new FIFOs: a copy to edit
    joins = {n.name for n in join_fifos(model)}
    for node in fifo_nodes(model):
        if node.name not in joins or hw_op(node).get_nodeattr("depth") < 32:
            hw_op(node).set_nodeattr("depth", 2)
    return model


def test_rtlsim_sizing_reaches_the_slowest_layer_where_depth_2_does_not(folded, sized):
    slowest = slowest_cycles(sized)
    slices = simulate_fifo_levels(_register_slices(sized))
    assert not slices.deadlocked and slices.cycles_per_frame > slowest * 1.2
    run = simulate_fifo_levels(sized)
    assert not run.deadlocked
    assert run.cycles_per_frame <= slowest * (1 + TOLERANCE)
    assert any(d > 32 for d in _depths(sized).values())  # the join needs block RAM here
    assert 2 in _depths(sized).values()  # and steady streams keep a register slice


def test_the_lag_rule_buffers_bursts(folded, sized):
    lag = folded.transform(InsertFIFOs())
    depths = _depths(lag)
    assert depths["upsample_hw_fifo"] > 32  # rows arrive while it writes copies
    assert depths["conv1_swg_fifo"] == 32  # 3 input rows of a sliding window, in LUT RAM
    assert depths["conv1_mvu_fifo"] == 2  # the window rows need no buffer
    assert (
        simulate_fifo_levels(lag).cycles_per_frame
        < simulate_fifo_levels(_register_slices(sized)).cycles_per_frame
    )


def test_the_sized_design_is_bit_exact_and_joins_never_deadlock_under_stress(sized):
    xs = [random_input(8, seed)["x"] for seed in (1, 2, 3)]
    result = simulate_network_rtl(sized, xs, gaps=0.3, stalls=0.3, per_layer=False)
    assert result.bit_exact, result.first_mismatch
    assert result.cycles_per_frame <= slowest_cycles(sized) * (1 + TOLERANCE)


def test_shrinking_a_sized_fifo_a_lot_loses_throughput(sized):
    model = sized.transform(InsertFIFOs())  # no new FIFOs: a copy to edit
    reference = simulate_fifo_levels(model)
    fifo = next(n for n in fifo_nodes(model) if n.name == "route_hw_dwc1_fifo")
    assert hw_op(fifo).get_nodeattr("depth") > 32  # the early branch of the join
    hw_op(fifo).set_nodeattr("depth", 2)
    worse = simulate_fifo_levels(model)
    assert worse.deadlocked or worse.cycles_per_frame > reference.cycles_per_frame * 1.05


def test_rtlsim_sizing_is_deterministic_and_keeps_given_depths(folded, sized):
    again = folded.transform(InsertFIFOs(fifo_sizing="rtlsim"))
    assert _depths(again) == _depths(sized)
    kept = folded.transform(InsertFIFOs(fifo_sizing="rtlsim", depths={"conv1_mvu": 7}))
    assert _depths(kept)["conv1_mvu_fifo"] == 7


def test_the_folding_config_round_trips_fifo_depths(hw, sized):
    config = {**extract_folding_config(sized), "fifo_depths": fifo_depths(sized)}
    again = fold_step.fold_model(hw, load_board("pynq_z2"), folding=config)
    assert _depths(again) == _depths(sized)


def test_build_cli_passes_fifo_sizing_to_insert_fifos(monkeypatch, hw, tmp_path):
    seen = []

    class Recorder(InsertFIFOs):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self.fifo_sizing)

    def fake_run_build(cfg, on_step=None):
        seen.append(cfg.fifo_sizing)
        fold_step.fold_model(hw, load_board("pynq_z2"), fifo_sizing=cfg.fifo_sizing)
        raise QnnflowError("stop here")

    monkeypatch.setattr(fold_step, "InsertFIFOs", Recorder)
    monkeypatch.setattr(insert_fifos, "size_fifos_rtlsim", lambda *a, **k: None)
    monkeypatch.setattr(flow_api, "run_build", fake_run_build)
    assert main(["build", "--out", str(tmp_path), "--fifo-sizing", "rtlsim"]) == 2
    assert seen[0] == "rtlsim" and seen[-1] == "rtlsim"  # the config, then InsertFIFOs
    assert main(["build", "--out", str(tmp_path), "--fifo-sizing", "deep"]) != 0
    assert len(seen) == 2 + seen.count("lag")  # a bad choice never reaches the build


@pytest.mark.slow
def test_default_model_reaches_its_slowest_layer_with_the_lag_rule(mini_folded):
    """At the test's input size depth 2 everywhere runs 16,568 cycles/frame against 9,414
    (at the build's: 291,498 against 113,574)."""
    slowest = slowest_cycles(mini_folded)
    assert simulate_fifo_levels(mini_folded).cycles_per_frame <= slowest * (1 + TOLERANCE)
    slices = simulate_fifo_levels(_register_slices(mini_folded))
    assert slices.cycles_per_frame > 1.5 * slowest
