// qnnflow_add: StreamingAdd, the lane-wise sum of two streams of PE elements per word (a
// residual connection), as add.hpp's streaming_add: each element widened to OBITS bits
// (qnnflow_widen; a BIPOLAR code b is 2b - 1) and added modulo 2^OBITS (the op's output type
// holds every sum, so nothing wraps). Stream order: word k of the output is word k of in0 +
// word k of in1. A word of each input is taken together; one output word per cycle, latency
// 1 cycle (registered output; the input readies depend on out_tready and the other valid).
module qnnflow_add #(
    parameter PE = 1,
    parameter BITS0 = 1,
    parameter SIGNED0 = 0,
    parameter BIPOLAR0 = 0,
    parameter BITS1 = 1,
    parameter SIGNED1 = 0,
    parameter BIPOLAR1 = 0,
    parameter OBITS = 2
) (
    input  logic                ap_clk,
    input  logic                ap_rst_n,
    input  logic [PE*BITS0-1:0] in0_tdata,
    input  logic                in0_tvalid,
    output logic                in0_tready,
    input  logic [PE*BITS1-1:0] in1_tdata,
    input  logic                in1_tvalid,
    output logic                in1_tready,
    output logic [PE*OBITS-1:0] out_tdata,
    output logic                out_tvalid,
    input  logic                out_tready
);
  logic [PE*OBITS-1:0] a, b, sum;
  qnnflow_widen #(
      .LANES(PE),
      .BITS(BITS0),
      .SIGNED(SIGNED0),
      .BIPOLAR(BIPOLAR0),
      .OBITS(OBITS)
  ) u_widen0 (
      .in_word (in0_tdata),
      .out_word(a)
  );
  qnnflow_widen #(
      .LANES(PE),
      .BITS(BITS1),
      .SIGNED(SIGNED1),
      .BIPOLAR(BIPOLAR1),
      .OBITS(OBITS)
  ) u_widen1 (
      .in_word (in1_tdata),
      .out_word(b)
  );
  for (genvar lane = 0; lane < PE; lane++) begin : g_lane
    assign sum[lane*OBITS+:OBITS] = a[lane*OBITS+:OBITS] + b[lane*OBITS+:OBITS];
  end

  logic free, take;
  assign free = !out_tvalid || out_tready;
  assign take = in0_tvalid && in1_tvalid && free;
  assign in0_tready = in1_tvalid && free;
  assign in1_tready = in0_tvalid && free;

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) out_tvalid <= 1'b0;
    else if (free) out_tvalid <= in0_tvalid && in1_tvalid;
  end

  always_ff @(posedge ap_clk) begin
    if (take) out_tdata <= sum;
  end
endmodule
