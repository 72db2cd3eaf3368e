"""The accelerator's AXI4-Lite control slave: the driver's register map (CTRL at 0x00,
weight addresses at 0x10 + 8*i) written with byte strobes and with the address and data
halves of a write arriving in different cycles, read back, and `started` raised by ap_start."""

from __future__ import annotations

import tempfile
from pathlib import Path

from qnnflow.backends.rtl import verilator
from qnnflow.backends.rtl.layer_code import kernel_sources
from qnnflow.backends.rtl.testbench import MAIN_CPP, TOP

# (kind, address, data, strobes, W delay in cycles after AW); reads print what they got
SCRIPT = [
    ("r", 0x00, 0, 0, 0),
    ("w", 0x10, 0x12345678, 0xF, 0),
    ("w", 0x18, 0xDEADBEEF, 0xF, 3),
    ("w", 0x18, 0x0000CAFE, 0x3, 0),  # low half only
    ("w", 0x20, 0x55555555, 0xF, 1),
    ("w", 0x3C, 0xFFFFFFFF, 0xF, 0),  # unmapped: ignored
    ("r", 0x10, 0, 0, 0),
    ("r", 0x18, 0, 0, 0),
    ("r", 0x20, 0, 0, 0),
    ("r", 0x3C, 0, 0, 0),
    ("w", 0x00, 0x81, 0xF, 2),
    ("r", 0x00, 0, 0, 0),
]


def _testbench() -> str:
    cases = []
    for k, (kind, addr, data, strb, delay) in enumerate(SCRIPT):
        cases.append(
            f"      {k}: begin kind = {int(kind == 'w')}; addr = 6'h{addr:02x}; "
            f"data = 32'h{data:08x}; strb = 4'h{strb:x}; delay = {delay}; end"
        )
    return f"""
module {TOP} (input logic ap_clk);
  logic ap_rst_n = 1'b0;
  logic [5:0] awaddr, araddr; logic awvalid = 0, awready, wvalid = 0, wready, bvalid, arvalid = 0;
  logic arready, rvalid; logic [31:0] wdata, rdata; logic [3:0] wstrb; logic [1:0] bresp, rresp;
  logic started; logic [95:0] bases;
  integer cycle = 0, op = 0, phase = 0, wait_w = 0;
  logic kind; logic [5:0] addr; logic [31:0] data; logic [3:0] strb; integer delay;
  qnnflow_axilite_control #(.PORTS(3)) dut (
    .ap_clk, .ap_rst_n,
    .s_axi_control_awaddr(awaddr), .s_axi_control_awvalid(awvalid),
    .s_axi_control_awready(awready), .s_axi_control_wdata(wdata),
    .s_axi_control_wstrb(wstrb), .s_axi_control_wvalid(wvalid), .s_axi_control_wready(wready),
    .s_axi_control_bresp(bresp), .s_axi_control_bvalid(bvalid), .s_axi_control_bready(1'b1),
    .s_axi_control_araddr(araddr), .s_axi_control_arvalid(arvalid),
    .s_axi_control_arready(arready), .s_axi_control_rdata(rdata),
    .s_axi_control_rresp(rresp), .s_axi_control_rvalid(rvalid), .s_axi_control_rready(1'b1),
    .started, .base_addresses(bases));
  always_comb begin
    kind = 0; addr = 0; data = 0; strb = 0; delay = 0;
    case (op)
{chr(10).join(cases)}
      default: ;
    endcase
  end
  always @(posedge ap_clk) begin
    cycle = cycle + 1;
    if (cycle > 3) ap_rst_n <= 1'b1;
    if (ap_rst_n) begin
      if (op == {len(SCRIPT)}) begin
        $display("bases %h started %0d", bases, started);
        $finish;
      end else if (phase == 0) begin
        if (kind) begin
          awaddr <= addr; awvalid <= 1; wdata <= data; wstrb <= strb; wait_w = delay;
          wvalid <= (delay == 0);
        end else begin
          araddr <= addr; arvalid <= 1;
        end
        phase = 1;
      end else begin
        if (awvalid && awready) awvalid <= 0;
        if (wvalid && wready) wvalid <= 0;
        if (kind && !wvalid && wait_w > 0) begin
          wait_w = wait_w - 1;
          if (wait_w == 0) wvalid <= 1;
        end
        if (arvalid && arready) arvalid <= 0;
        if (bvalid || rvalid) begin
          if (rvalid) $display("read %h %h resp %0d", araddr, rdata, rresp);
          if (bvalid && bresp != 0) $display("bad bresp");
          op = op + 1;
          phase = 0;
        end
      end
      if (cycle > 1000) $finish;
    end
  end
endmodule
"""


def test_register_map_reads_back_what_the_driver_writes():
    sources = kernel_sources(["axilite_control.sv"])
    sources["qnnflow_tb.sv"] = _testbench()
    exe = verilator.build(sources, TOP, MAIN_CPP)
    with tempfile.TemporaryDirectory() as tmp:
        out = verilator.run(exe, [], Path(tmp)).splitlines()
    reads = [line.split()[1:3] for line in out if line.startswith("read")]
    assert reads == [
        ["00", "00000004"],  # idle, not started
        ["10", "12345678"],
        ["18", "deadcafe"],  # the strobed write replaced the low half only
        ["20", "55555555"],
        ["3c", "00000000"],
        ["00", "00000081"],  # started, auto_restart
    ]
    assert "bases 55555555deadcafe12345678 started 1" in out


def test_the_control_slave_is_lint_clean():
    assert verilator.lint(kernel_sources(["axilite_control.sv"]), "qnnflow_axilite_control") == []
