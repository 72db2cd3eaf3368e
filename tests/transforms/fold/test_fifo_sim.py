"""fifo_sim: the word-level simulation finds join FIFO depths no larger than the lag bound
that neither deadlock nor slow the folded route graph down (checked on a longer run), and
reports the deadlock a too-small depth causes."""

from __future__ import annotations

import pytest

from qnnflow.boards import load_board
from qnnflow.errors import QnnflowError
from qnnflow.ops.graph_queries import hw_op
from qnnflow.transforms.fold import AutoFold, InsertFIFOs, InsertWidthConverters
from qnnflow.transforms.fold.fifo_sim import join_fifos, simulate, smallest_join_depths
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.verify import verified_transform
from tests.transforms.to_hw.yolo_like import random_input, route_model

pytestmark = pytest.mark.filterwarnings("ignore:The values of tensor route")


@pytest.fixture(scope="module")
def folded():
    hw = route_model(size=8, seed=3).transform(ConvertToHW())
    return hw.transform(AutoFold(load_board("pynq_z2"))).transform(InsertWidthConverters())


def _depths(model) -> dict[str, int]:
    return {f.name: hw_op(f).get_nodeattr("depth") for f in join_fifos(model)}


def test_simulated_depths_are_at_most_the_lag_bound_and_keep_throughput(folded):
    lag = folded.transform(InsertFIFOs())
    sim = verified_transform(folded, InsertFIFOs(fifo_sizing="sim"), random_input(8, 4))
    bound, found = _depths(lag), _depths(sim)
    assert found.keys() == bound.keys() and len(found) == 2
    assert all(found[name] <= bound[name] for name in found)
    assert found["route_hw_fifo1"] < bound["route_hw_fifo1"]  # the early branch's FIFO
    for frames in (2, 6):  # searched on 2 frames; a longer run proves it holds
        with_sim, with_lag = simulate(sim, frames), simulate(lag, frames)
        assert with_sim.finished and with_lag.finished
        assert with_sim.cycles <= with_lag.cycles


def test_one_word_less_than_found_loses_throughput_or_deadlocks(folded):
    sim = folded.transform(InsertFIFOs(fifo_sizing="sim"))
    reference = simulate(sim, 2)
    fifo = next(f for f in join_fifos(sim) if f.name == "route_hw_fifo1")
    hw_op(fifo).set_nodeattr("depth", hw_op(fifo).get_nodeattr("depth") - 1)
    worse = simulate(sim, 2)
    assert not worse.finished or worse.cycles > reference.cycles


def test_too_small_a_depth_deadlocks_and_the_search_says_so(folded):
    small = folded.transform(InsertFIFOs(depths={"route_hw:1": 2}))
    result = simulate(small, 1)
    assert not result.finished
    with pytest.raises(QnnflowError, match="deadlocks with its current FIFO depths"):
        smallest_join_depths(small)


def test_overridden_depths_are_kept_and_bad_sizing_refused(folded):
    sim = folded.transform(InsertFIFOs(depths={"route_hw:1": 999}, fifo_sizing="sim"))
    assert _depths(sim)["route_hw_fifo1"] == 999
    with pytest.raises(QnnflowError, match="fifo_sizing"):
        InsertFIFOs(fifo_sizing="exact")
