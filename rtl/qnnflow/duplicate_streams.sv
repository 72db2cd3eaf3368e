// qnnflow_duplicate_streams: a fork copying every word of one stream to N outputs, in
// order, unchanged. One data register shared by the outputs and one valid bit per output:
// an output that has taken the word drops its valid while the others still offer it, so a
// slow reader never loses or repeats a word; the next input word is accepted only when every
// output has taken the current one (or takes it in this cycle). One word per cycle when every
// output is ready; latency 1 cycle. in_tready depends combinationally on out_tready (an AND
// of N terms).
module qnnflow_duplicate_streams #(
    parameter N = 2,
    parameter WIDTH = 8
) (
    input  logic             ap_clk,
    input  logic             ap_rst_n,
    input  logic [WIDTH-1:0] in_tdata,
    input  logic             in_tvalid,
    output logic             in_tready,
    output logic [WIDTH-1:0] out_tdata,
    output logic [  N-1:0]   out_tvalid,
    input  logic [  N-1:0]   out_tready
);
  // an output is free when it holds no word or hands its word over now
  assign in_tready = &(~out_tvalid | out_tready);

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) out_tvalid <= '0;
    else if (in_tvalid && in_tready) out_tvalid <= '1;
    else out_tvalid <= out_tvalid & ~out_tready;
  end

  always_ff @(posedge ap_clk) begin
    if (in_tvalid && in_tready) out_tdata <= in_tdata;
  end
endmodule
