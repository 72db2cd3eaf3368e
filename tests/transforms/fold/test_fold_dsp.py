"""AutoFold spends DSPs before LUTs: an int8 fully connected network that is LUT-bound with
LUT multipliers only moves layers onto DSP48E1s (resType dsp) to go faster, and reaches a
frame rate that does not fit without them; the estimate report shows the DSPs."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.analysis.estimate import estimate_network
from qnnflow.analysis.estimate_table import estimate_markdown
from qnnflow.boards import load_board
from qnnflow.errors import QnnflowError
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.ops.mvu import MatrixVectorUnit
from qnnflow.transforms.fold import AutoFold
from qnnflow.transforms.to_hw import ConvertToHW
from tests.transforms.streamline.graphs import Chain
from tests.transforms.to_hw.fc_graphs import int_weights, thresholds

WIDTHS = (32, 32, 32, 32, 32, 10)


def int8_fc(widths=WIDTHS, seed=0):
    """UINT8 [1, 32] -> [Gemm (INT8 weights) -> MultiThreshold (UINT4)] x 4 -> Gemm -> Mul."""
    rng = np.random.default_rng(seed)
    chain = Chain([1, widths[0]])
    for i, (mw, mh) in enumerate(zip(widths, widths[1:], strict=False)):
        chain.op("Gemm", int_weights(rng, [mh, mw], -128, 127), transB=1)
        if i < len(widths) - 2:
            t = thresholds(rng, mh, 15, 2**18)
            chain.op("MultiThreshold", t, qonnx=True, out_dtype="UINT4")
    chain.op("Mul", np.float32(0.5))
    return chain.model([1, widths[-1]], input_dtype="UINT8").transform(ConvertToHW())


def offer_only(monkeypatch, kept: str) -> None:
    """Folding offers only resType `kept` ("auto": the rule before resType)."""
    legal = MatrixVectorUnit.res_type_choices
    monkeypatch.setattr(
        MatrixVectorUnit, "res_type_choices", lambda self: [c for c in legal(self) if c == kept]
    )


def fold(model, board, target_fps=None):
    folded = model.transform(AutoFold(board, target_fps))
    estimate = estimate_network(folded, board)
    assert all(u <= 0.9 + 1e-9 for u in estimate.utilization(board).values())
    return folded, estimate


def styles(model) -> list[str]:
    """Where each layer's multipliers are (resType with auto resolved)."""
    return [hw_op(n).multiplier_style() for n in hw_nodes(model)]


def run(model, x):
    return execute_onnx(model, {"x": x})[model.graph.output[0].name]


def test_lut_bound_int8_network_goes_faster_on_dsps(monkeypatch):
    board, model = load_board("pynq_z2"), int8_fc()
    folded, estimate = fold(model, board)
    offer_only(monkeypatch, "lut")
    lut_model, lut = fold(model, board)
    assert set(styles(lut_model)) == {"lut"} and lut.totals()["DSP"] == 0
    assert lut.utilization(board)["LUT"] > 0.85  # LUT-bound
    assert "dsp" in styles(folded) and 0 < estimate.totals()["DSP"] <= 0.9 * 220
    assert estimate.fps > lut.fps and estimate.totals()["LUT"] < lut.totals()["LUT"]
    x = np.random.default_rng(1).integers(0, 256, size=(1, 32)).astype(np.float32)
    np.testing.assert_array_equal(run(folded, x), run(model, x))
    report = estimate_markdown(estimate, board)
    assert "DSP" in report and "resType=dsp" in report


@pytest.mark.parametrize("kept", ["lut"])
def test_a_target_that_fits_only_with_more_dsps(monkeypatch, kept):
    """At 8 Mfps LUTs alone overrun the LUTs; AutoFold moves products onto DSPs instead.
    (With the resType auto rule alone, the scarcity re-weighting now finds a fitting mix of
    shapes, so only the LUT-only network is refused.)"""
    board, model = load_board("pynq_z2"), int8_fc((24, 32, 32, 32, 32, 32, 10))
    folded, estimate = fold(model, board, target_fps=8e6)
    assert estimate.fps >= 8e6 and "dsp" in styles(folded)
    offer_only(monkeypatch, kept)
    with pytest.raises(QnnflowError, match=r"target 8e\+06 fps does not fit pynq_z2 \(LUT"):
        model.transform(AutoFold(board, 8e6))
    assert estimate.totals()["DSP"] > fold(model, board, target_fps=6e6)[1].totals()["DSP"]
