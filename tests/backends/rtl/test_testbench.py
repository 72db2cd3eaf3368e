"""The Verilator testbench itself, on small designs written here: words go in and come out in
order through gaps and backpressure, wide and signed words survive the hex round trip, frame
cycles are measured, and a design that drops a stalled word or deadlocks is named."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.backends.rtl.layer_code import RtlLayerCode
from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.errors import QnnflowError
from tests.backends.rtl.helpers import assert_stream_equal

# A one-word register slice that adds one to every element (INT5 lanes, wrapping).
SLICE = """
module L_slice #(parameter LANES = 20, parameter B = 5) (
  input logic ap_clk, input logic ap_rst_n,
  input logic [LANES*B-1:0] in0_tdata, input logic in0_tvalid, output logic in0_tready,
  output logic [LANES*B-1:0] out0_tdata, output logic out0_tvalid, input logic out0_tready);
  logic full;
  assign in0_tready = !full || out0_tready;
  assign out0_tvalid = full;
  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) full <= 1'b0;
    else if (in0_tvalid && in0_tready) begin
      full <= 1'b1;
      for (int i = 0; i < LANES; i++) out0_tdata[i*B +: B] <= in0_tdata[i*B +: B] + 1'b1;
    end else if (out0_tready) full <= 1'b0;
  end
endmodule
"""

# Drops its word when stalled: the testbench must notice.
LEAKY = SLICE.replace("L_slice", "L_leaky").replace(
    "end else if (out0_tready) full <= 1'b0;", "end else full <= 1'b0;"
)
# Never answers: the testbench must report a deadlock instead of hanging.
STUCK = SLICE.replace("L_slice", "L_stuck").replace(
    "assign in0_tready = !full || out0_tready;", "assign in0_tready = 1'b0;"
)

SPEC = StreamSpec(per_word=20, bits=5, signed=True, words=6)


def _code(name: str, text: str) -> RtlLayerCode:
    return RtlLayerCode(name, "Test", (SPEC,), (SPEC,), text, ())


def _wrap(x: np.ndarray) -> np.ndarray:
    return (x + 1 + 16) % 32 - 16


@pytest.mark.parametrize("gaps,stalls", [(0.0, 0.0), (0.4, 0.5)])
def test_words_pass_in_order_through_gaps_and_backpressure(gaps, stalls):
    rng = np.random.default_rng(3)
    x = rng.integers(-16, 16, size=(3, SPEC.elements))
    x[0, :20] = 15  # all-max word: wraps to -16
    x[1, :20] = -16
    got = simulate_layer(_code("L_slice", SLICE), [x], gaps=gaps, stalls=stalls, seed=7)
    assert_stream_equal("L_slice", got.stream, _wrap(x))
    if gaps == stalls == 0:
        assert got.cycles_per_frame == SPEC.words  # one word per cycle in steady state
        assert got.latency == SPEC.words  # the slice adds one cycle after the last input


def test_a_dropped_stalled_word_is_reported():
    x = np.zeros((2, SPEC.elements), np.int64)
    with pytest.raises(QnnflowError, match="L_leaky.*protocol out0"):
        simulate_layer(_code("L_leaky", LEAKY), [x], stalls=0.5)


def test_a_deadlock_names_the_counts():
    x = np.zeros((1, SPEC.elements), np.int64)
    with pytest.raises(QnnflowError, match="L_stuck.*deadlock in0_sent=0 out0_got=0"):
        simulate_layer(_code("L_stuck", STUCK), [x])


def test_wrong_input_size_is_refused_before_simulating():
    with pytest.raises(QnnflowError, match="119 elements per frame, the stream carries 120"):
        simulate_layer(_code("L_slice", SLICE), [np.zeros((1, 119))])


def test_lint_is_clean_on_the_slice_and_names_a_width_mismatch():
    from qnnflow.backends.rtl.lint import lint

    assert lint(_code("L_slice", SLICE)) == []
    narrow = SLICE.replace("L_slice", "L_narrow").replace("+ 1'b1", "+ 6'd1")
    assert any("WIDTH" in line for line in lint(_code("L_narrow", narrow)))
