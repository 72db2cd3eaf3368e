// qnnflow_global_pool: GlobalAccPool, the per-channel sum over the PIXELS pixels of a frame,
// as global_pool.hpp's global_acc_pool: each input element widened to OBITS bits
// (qnnflow_widen; a BIPOLAR code b is 2b - 1) and accumulated modulo 2^OBITS (the op's output
// type holds every sum, so nothing wraps). Input: PIXELS x FOLDS words of PE channels, pixel
// major; output: the FOLDS sums, word `fold` leaving with the last pixel's word `fold`. A
// channel-group-major frame (G groups) is G such frames of FOLDS = C/G/PE words per pixel,
// which gives the plain channel order of the 1x1 output. One input word per cycle, latency
// 1 cycle; the accumulators are FOLDS words of LUT RAM read asynchronously.
module qnnflow_global_pool #(
    parameter PE = 1,
    parameter BITS = 1,
    parameter SIGNED = 0,
    parameter BIPOLAR = 0,
    parameter OBITS = 2,
    parameter PIXELS = 1,
    parameter FOLDS = 1
) (
    input  logic               ap_clk,
    input  logic               ap_rst_n,
    input  logic [PE*BITS-1:0] in_tdata,
    input  logic               in_tvalid,
    output logic               in_tready,
    output logic [PE*OBITS-1:0] out_tdata,
    output logic               out_tvalid,
    input  logic               out_tready
);
  localparam FB = FOLDS > 1 ? $clog2(FOLDS) : 1;  // accumulator address bits
  localparam PB = $clog2(PIXELS + 1);

  (* ram_style = "distributed" *) logic [PE*OBITS-1:0] sums[FOLDS];
  logic [FB-1:0] fold;
  logic [PB-1:0] pixel;
  logic first, last, take;
  logic [PE*OBITS-1:0] value, prior, sum;

  qnnflow_widen #(
      .LANES(PE),
      .BITS(BITS),
      .SIGNED(SIGNED),
      .BIPOLAR(BIPOLAR),
      .OBITS(OBITS)
  ) u_widen (
      .in_word (in_tdata),
      .out_word(value)
  );

  assign first = pixel == '0;
  assign last = pixel == PB'(PIXELS - 1);
  assign prior = first ? '0 : sums[fold];
  for (genvar lane = 0; lane < PE; lane++) begin : g_lane
    assign sum[lane*OBITS+:OBITS] = prior[lane*OBITS+:OBITS] + value[lane*OBITS+:OBITS];
  end

  // only a last-pixel word needs room in the output register
  assign in_tready = !last || !out_tvalid || out_tready;
  assign take = in_tvalid && in_tready;

  always_ff @(posedge ap_clk) begin
    if (take) sums[fold] <= sum;
    if (take && last) out_tdata <= sum;
  end

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) out_tvalid <= 1'b0;
    else if (take && last) out_tvalid <= 1'b1;
    else if (out_tready) out_tvalid <= 1'b0;
  end

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      fold <= '0;
      pixel <= '0;
    end else if (take) begin
      if (fold != FB'(FOLDS - 1)) begin
        fold <= fold + 1'b1;
      end else begin
        fold <= '0;
        pixel <= last ? '0 : pixel + 1'b1;
      end
    end
  end
endmodule
