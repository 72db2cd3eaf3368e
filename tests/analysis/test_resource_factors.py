"""Synthesis-measured correction factors: measured per op type from synth.json rows, read
back with clear errors, and applied to what AutoFold budgets with (`--resources synth`):
a LUT factor that makes the layers dearer folds them slower on the same board."""

from __future__ import annotations

import json

import pytest

from qnnflow.analysis.estimate import estimate_network
from qnnflow.analysis.resource_factors import corrected, load_factors, measure_factors
from qnnflow.boards import load_board
from qnnflow.errors import QnnflowError
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.transforms.fold import AutoFold
from qnnflow.transforms.fold.options import folding_groups
from tests.transforms.fold.test_fold_dsp import int8_fc


def test_factors_are_summed_synth_over_summed_estimate_per_op():
    rows = [
        {"op": "A", "estimate": {"LUT": 100, "DSP": 0}, "synth": {"LUT": 150, "DSP": 3}},
        {"op": "A", "estimate": {"LUT": 300}, "synth": {"LUT": 250}},
        {"op": "B", "estimate": {"FF": 10}, "synth": {"FF": 5}},
    ]
    # A: LUT 400 / 400; its DSP was estimated 0, so it has no DSP factor
    assert measure_factors(rows) == {"A": {"LUT": 1.0}, "B": {"FF": 0.5}}
    factors = {"A": {"LUT": 2.0}}
    assert corrected("A", {"LUT": 10.0, "FF": 3.0}, factors) == {"LUT": 20.0, "FF": 3.0}
    assert corrected("B", {"LUT": 10.0}, factors) == {"LUT": 10.0}
    assert corrected("A", {"LUT": 10.0}, None) == {"LUT": 10.0}


def test_load_factors_reads_synth_json_and_names_what_is_wrong(tmp_path):
    path = tmp_path / "synth.json"
    with pytest.raises(QnnflowError, match="run the synth step"):
        load_factors(path)
    path.write_text(json.dumps({"factors": {"A": {"LUT": 1.5}}}))
    assert load_factors(path) == {"A": {"LUT": 1.5}}
    path.write_text(json.dumps({"factors": {"A": {"LUTS": 1.5}}}))
    with pytest.raises(QnnflowError, match="unknown resource 'LUTS'"):
        load_factors(path)
    path.write_text(json.dumps({"factors": {"A": {"LUT": -1}}}))
    with pytest.raises(QnnflowError, match="not a number >= 0"):
        load_factors(path)
    path.write_text(json.dumps({"layers": []}))
    with pytest.raises(QnnflowError, match="no 'factors'"):
        load_factors(path)


def test_factors_scale_the_options_and_the_estimate():
    model = int8_fc()
    plain = folding_groups(model)
    factors = {"MatrixVectorUnit": {"LUT": 3.0, "FF": 0.5}}
    scaled = folding_groups(model, factors=factors)
    for a, b in zip(plain, scaled, strict=True):
        for x, y in zip(a.options, b.options, strict=True):
            assert y.resources["LUT"] == pytest.approx(3.0 * x.resources["LUT"])
            assert y.resources["FF"] == pytest.approx(0.5 * x.resources["FF"])
            assert y.resources["BRAM36"] == x.resources["BRAM36"]
    board = load_board("pynq_z2")
    assert estimate_network(model, board, factors).totals(False)["LUT"] == pytest.approx(
        3.0 * estimate_network(model, board).totals(False)["LUT"]
    )


def test_dearer_luts_fold_slower():
    board = load_board("pynq_z2")
    caps = {"LUT": 0.3}  # LUTs bind this network's folding (measured: 32 vs 64 cycles)

    def bottleneck(factors) -> int:
        folded = int8_fc().transform(AutoFold(board, None, caps, factors))
        return max(hw_op(n).cycles() for n in hw_nodes(folded))

    dear = {"MatrixVectorUnit": {"LUT": 2.0}, "Thresholding": {"LUT": 2.0}}
    assert bottleneck(dear) > bottleneck(None)
