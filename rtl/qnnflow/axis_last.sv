// qnnflow_axis_last: an internal stream of WIDTH-bit words to the DMA's AXI-stream of
// AXI_WIDTH bits (WIDTH rounded up to bytes; high padding bits zero), with TKEEP and TSTRB
// all ones and TLAST on the last of every WORDS words (a frame), as the HLS top's
// stream_to_axis_last (hls/qnnflow/axi_adapters.hpp). Combinational: no added latency.
module qnnflow_axis_last #(
    parameter int WIDTH = 8,
    parameter int AXI_WIDTH = 8,
    parameter int WORDS = 1
) (
    input  logic                   ap_clk,
    input  logic                   ap_rst_n,
    input  logic [WIDTH-1:0]       in0_tdata,
    input  logic                   in0_tvalid,
    output logic                   in0_tready,
    output logic [AXI_WIDTH-1:0]   out0_tdata,
    output logic                   out0_tvalid,
    input  logic                   out0_tready,
    output logic [AXI_WIDTH/8-1:0] out0_tkeep,
    output logic [AXI_WIDTH/8-1:0] out0_tstrb,
    output logic                   out0_tlast
);
  localparam int CW = WORDS > 1 ? $clog2(WORDS) : 1;
  logic [CW-1:0] word;  // position of the current word in its frame

  assign out0_tdata = AXI_WIDTH'(in0_tdata);
  assign out0_tvalid = in0_tvalid;
  assign in0_tready = out0_tready;
  assign out0_tkeep = '1;
  assign out0_tstrb = '1;
  assign out0_tlast = word == CW'(WORDS - 1);

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) word <= '0;
    else if (in0_tvalid && out0_tready) word <= out0_tlast ? '0 : word + 1'b1;
  end
endmodule
