"""The testbench's DDR model (rtl/sim/axi_read_slave.sv via ddr_model.attach_ddr) on a small
hand-written AXI4 master: it returns the image in order with rlast on each burst's last beat
through random rvalid gaps, and names a burst that crosses 4 KiB instead of serving it."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.backends.rtl.ddr_model import DDR_BASE
from qnnflow.backends.rtl.layer_code import RtlLayerCode, RtlMMPort
from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.mem_files import ddr_mem
from qnnflow.errors import QnnflowError
from tests.backends.rtl.helpers import assert_stream_equal

# Per frame: one burst of BEATS beats at p_base + OFFSET; each beat leaves as one out0 word
# (its low 62 bits, bit 62 = rlast) once the frame's in0 word has arrived.
MASTER = """
module L_master #(parameter int BEATS = 16, parameter int OFFSET = 0) (
  input logic ap_clk, input logic ap_rst_n,
  input logic [7:0] in0_tdata, input logic in0_tvalid, output logic in0_tready,
  output logic [62:0] out0_tdata, output logic out0_tvalid, input logic out0_tready,
  input logic [31:0] p_base,
  output logic [31:0] m_axi_p_araddr, output logic [7:0] m_axi_p_arlen,
  output logic [2:0] m_axi_p_arsize, output logic [1:0] m_axi_p_arburst,
  output logic m_axi_p_arvalid, input logic m_axi_p_arready,
  input logic [63:0] m_axi_p_rdata, input logic [1:0] m_axi_p_rresp, input logic m_axi_p_rlast,
  input logic m_axi_p_rvalid, output logic m_axi_p_rready);
  logic busy;
  assign in0_tready = !busy && !m_axi_p_arvalid;
  assign m_axi_p_araddr = p_base + 32'(OFFSET);
  assign m_axi_p_arlen = 8'(BEATS - 1);
  assign m_axi_p_arsize = 3'd3;
  assign m_axi_p_arburst = 2'b01;
  assign m_axi_p_rready = out0_tready;
  assign out0_tvalid = m_axi_p_rvalid;
  assign out0_tdata = {m_axi_p_rlast, m_axi_p_rdata[61:0]};
  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin busy <= 1'b0; m_axi_p_arvalid <= 1'b0; end
    else begin
      if (in0_tvalid && in0_tready) begin busy <= 1'b1; m_axi_p_arvalid <= 1'b1; end
      if (m_axi_p_arvalid && m_axi_p_arready) m_axi_p_arvalid <= 1'b0;
      if (m_axi_p_rvalid && m_axi_p_rready && m_axi_p_rlast) busy <= 1'b0;
    end
  end
endmodule
"""


def master(beats: int, offset: int, image: np.ndarray) -> RtlLayerCode:
    wrapper = MASTER.replace("BEATS = 16", f"BEATS = {beats}").replace(
        "OFFSET = 0", f"OFFSET = {offset}"
    )
    return RtlLayerCode(
        name="L_master",
        op_type="Test",
        inputs=(StreamSpec(1, 8, False, 1),),
        outputs=(StreamSpec(1, 63, False, beats),),
        wrapper=wrapper,
        kernels=(),
        files={"p.mem": ddr_mem(image.view(np.uint8))},
        mm_ports=(RtlMMPort("p", 64, image.size, "p.mem"),),
    )


def test_bursts_return_the_image_in_order_with_rlast_through_gaps():
    rng = np.random.default_rng(2)
    image = rng.integers(0, 1 << 62, size=20, dtype=np.uint64)
    beats, offset = 12, 4 * 8  # words 4..15: from DDR_BASE + 32 up to the 4 KiB boundary
    assert (DDR_BASE + offset + 8 * beats) % 4096 == 0
    code = master(beats, offset, image)
    want = image[4:16].astype(np.int64)
    want[-1] |= 1 << 62  # rlast on the last beat only
    frames = np.zeros((3, 1), np.int64)
    for gaps in (0.0, 0.5):
        result = simulate_layer(code, [frames], gaps=gaps, stalls=gaps, seed=3)
        assert_stream_equal("L_master", result.stream, np.tile(want, (3, 1)))


def test_a_burst_across_4k_is_named():
    image = np.arange(40, dtype=np.uint64)
    with pytest.raises(QnnflowError, match="crosses 4 KiB"):
        simulate_layer(master(13, 4 * 8, image), [np.zeros((1, 1), np.int64)])
