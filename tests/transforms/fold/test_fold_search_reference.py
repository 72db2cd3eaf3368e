"""The fast folding search (node snapshots cached per folding, vector choice tables, shared
candidates) against the straightforward one it replaced: every node's folding evaluated on
a fresh copy of its NodeProto through qonnx, every choice a scan of every option. Random
small graphs (binary conv stacks, int8 FC chains with multiplier choices, a branched graph
whose layers may stream), random targets and random caps (which drive the DSP discounts,
the scarcity raises and the "nothing fits" errors) must give the same folding, metadata
and error messages."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from qonnx.custom_op.registry import getCustomOp

from qnnflow.analysis.estimate import PLATFORM_OVERHEAD, estimate_network
from qnnflow.boards import load_board
from qnnflow.errors import QnnflowError
from qnnflow.ops import mvu as mvu_module
from qnnflow.transforms.fold import AutoFold, extract_folding_config
from qnnflow.transforms.fold.auto_fold import DEFAULT_CAPS, FOLDING_KEY
from qnnflow.transforms.fold.choice_table import FoldCandidates, default_multipliers
from qnnflow.transforms.fold.node_costs import NodeCost, NodeCosts
from qnnflow.transforms.to_hw import ConvertToHW
from tests.transforms.fold.test_fold_dsp import int8_fc
from tests.transforms.fold.test_folding import small_params
from tests.transforms.to_hw.yolo_like import route_model

pytestmark = pytest.mark.filterwarnings("ignore:The values of tensor route")


def reference_cost(self: NodeCosts, node, attrs: dict) -> NodeCost | None:
    """A node's cost as before the snapshots: a NodeProto copy with qonnx attributes."""
    trial = onnx.NodeProto()
    trial.CopyFrom(node)
    op = getCustomOp(trial)
    for key, value in attrs.items():
        op.set_nodeattr(key, value)
    return self.cost_of(node, op)


class ReferenceFold(AutoFold):
    """AutoFold choosing by a scan of every option (the search's code before the tables)."""

    def _choose(self, table, budget_cycles, weights=None):
        choice = []
        for group in table.groups:
            feasible = [o for o in group.options if o.cycles <= budget_cycles]
            if weights is None:
                feasible = [o for o in feasible if default_multipliers(o)] or feasible
            if not feasible:
                return None
            choice.append(min(feasible, key=lambda o: (self._cost(o, weights), o.cycles)))
        return choice


def outcome(model, fold: AutoFold) -> dict:
    try:
        folded = model.transform(fold)
    except QnnflowError as exc:
        return {"error": str(exc)}
    meta = json.loads(folded.get_metadata_prop(FOLDING_KEY))
    return {"folding": extract_folding_config(folded), "meta": meta}


def compare(model, cases, monkeypatch) -> list[dict]:
    """Outcomes of the fast search (one FoldCandidates shared by every case, as the fold
    step's refolds share it) and of the reference, case by case; asserts they agree."""
    board = load_board("pynq_z2")
    shared = FoldCandidates(model)
    fast = [outcome(model, AutoFold(board, fps, caps, candidates=shared)) for fps, caps in cases]
    with monkeypatch.context() as patch:
        patch.setattr(NodeCosts, "cost", reference_cost)
        slow = [outcome(model, ReferenceFold(board, fps, caps)) for fps, caps in cases]
    for case, got, expected in zip(cases, fast, slow, strict=True):
        assert got == expected, case
    return fast


def random_cases(model, rng, count: int) -> list[tuple]:
    """(target fps or None, caps): the default caps, then caps between the platform's
    overhead and what the max-fps folding uses, at random per resource, so that searches
    trade resources (DSP discounts, scarcity) and some find nothing that fits."""
    board = load_board("pynq_z2")
    used = estimate_network(model.transform(AutoFold(board)), board).utilization(board)
    floor = {k: PLATFORM_OVERHEAD[k] / board.resources[k] for k in DEFAULT_CAPS}
    cases = [(None, None)]
    for _ in range(count):
        fps = None if rng.random() < 0.5 else float(rng.choice([5.0, 50.0, 500.0, 5e4]))
        scale = {k: float(rng.choice([0.2, 0.5, 0.8, 1.0, 1.5])) for k in DEFAULT_CAPS}
        caps = {k: floor[k] + max(used[k] - floor[k], 1e-3) * scale[k] for k in DEFAULT_CAPS}
        cases.append((fps, caps))
    return cases


@pytest.mark.parametrize("seed", range(3))
def test_binary_conv_stacks(seed, monkeypatch):
    from qnnflow.frontend.binparams import hidden_layers_model

    rng = np.random.default_rng(seed)
    depth = int(rng.integers(3, 6))
    channels = tuple(int(c) for c in rng.choice([4, 8, 16, 32, 64], size=depth))
    model = hidden_layers_model(small_params(channels, size=int(rng.choice([16, 32])), seed=seed))
    compare(model, random_cases(model, rng, 5), monkeypatch)


@pytest.mark.parametrize("seed", range(3))
def test_int8_chains_with_multiplier_choices(seed, monkeypatch):
    rng = np.random.default_rng(100 + seed)
    widths = tuple(int(w) for w in rng.choice([8, 16, 32, 64, 128], size=int(rng.integers(3, 6))))
    model = int8_fc(widths, seed)
    outcomes = compare(model, random_cases(model, rng, 6), monkeypatch)
    assert any("folding" in o for o in outcomes)


def test_branched_graph_with_weight_streaming(monkeypatch):
    monkeypatch.setattr(mvu_module, "STREAM_WEIGHTS_MIN_BITS", 0)
    model = route_model(size=8, seed=3).transform(ConvertToHW())
    tight = {**DEFAULT_CAPS, "BRAM36": 0.02, "LUTRAM": 0.02}
    cases = [(None, None), (None, tight), (2e4, tight), (None, {k: 1e-4 for k in DEFAULT_CAPS})]
    outcomes = compare(model, cases, monkeypatch)
    assert "error" in outcomes[-1]


def test_candidates_for_other_factors_are_refused():
    model = int8_fc()
    with pytest.raises(ValueError, match="other resource factors"):
        AutoFold(load_board("pynq_z2"), factors={"MatrixVectorUnit": {"LUT": 2.0}},
                 candidates=FoldCandidates(model))  # fmt: skip
