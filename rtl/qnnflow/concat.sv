// qnnflow_concat: StreamingConcat, channel concatenation of N streams of the same H x W, as
// concat.hpp's streaming_concat: per pixel FOLDS_0 words of input 0, then FOLDS_1 words of
// input 1, ..., then the next pixel. The inputs arrive already widened to the output's
// element type (the wrapper puts a qnnflow_widen on each), WIDTH bits per word, input i's
// data at in_tdata[i*WIDTH +: WIDTH]; FOLDS packs each input's words per pixel, input i's at
// FOLDS[i*32 +: 32]. One output word per cycle, latency 1 cycle (registered output; the
// selected input's ready depends on out_tready).
module qnnflow_concat #(
    parameter N = 2,
    parameter WIDTH = 8,
    parameter [N*32-1:0] FOLDS = {32'd1, 32'd1}
) (
    input  logic               ap_clk,
    input  logic               ap_rst_n,
    input  logic [N*WIDTH-1:0] in_tdata,
    input  logic [      N-1:0] in_tvalid,
    output logic [      N-1:0] in_tready,
    output logic [  WIDTH-1:0] out_tdata,
    output logic               out_tvalid,
    input  logic               out_tready
);
  function automatic integer max_folds();
    max_folds = 1;
    for (integer i = 0; i < N; i++) begin
      if (FOLDS[i*32+:32] > max_folds) max_folds = FOLDS[i*32+:32];
    end
  endfunction

  localparam SB = N > 1 ? $clog2(N) : 1;  // bits of the input index
  localparam FB = $clog2(max_folds() + 1);  // bits of a word count within one input

  logic [SB-1:0] source;  // input being passed
  logic [FB-1:0] fold;  // its word within the pixel
  logic [FB-1:0] last_fold;  // FOLDS[source] - 1
  logic [WIDTH-1:0] data;
  logic valid, free, take;

  always_comb begin
    last_fold = '0;
    data = '0;
    valid = 1'b0;
    for (integer i = 0; i < N; i++) begin
      if (SB'(i) == source) begin
        last_fold = FB'(FOLDS[i*32+:32] - 1);
        data = in_tdata[i*WIDTH+:WIDTH];
        valid = in_tvalid[i];
      end
    end
  end

  assign free = !out_tvalid || out_tready;
  assign take = valid && free;
  always_comb begin
    for (integer i = 0; i < N; i++) in_tready[i] = free && SB'(i) == source;
  end

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      source <= '0;
      fold <= '0;
    end else if (take) begin
      if (fold == last_fold) begin
        fold <= '0;
        source <= source == SB'(N - 1) ? '0 : source + 1'b1;
      end else begin
        fold <= fold + 1'b1;
      end
    end
  end

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) out_tvalid <= 1'b0;
    else if (free) out_tvalid <= valid;
  end

  always_ff @(posedge ap_clk) begin
    if (take) out_tdata <= data;
  end
endmodule
