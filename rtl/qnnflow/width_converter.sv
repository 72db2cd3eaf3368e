// qnnflow_width_converter: regroups a stream of IN_ELEMS elements of BITS bits per word into
// words of OUT_ELEMS elements (any pair; the RTL twin of hls/qnnflow/width_converter.hpp).
// Element order is unchanged: element k of the stream sits at bits [k*BITS +: BITS] of a
// buffer that shifts down by one output word on every write. A frame holds whole input and
// whole output words, so the buffer is empty at every frame boundary and the kernel needs no
// frame counter. Throughput: one word read and/or written per cycle, a frame in max(input
// words, output words) cycles; the buffer holds 2*(IN_ELEMS+OUT_ELEMS) elements so that
// in0_tready depends only on registers (no path from out0_tready). Latency: 1 cycle.
module qnnflow_width_converter #(
    parameter int IN_ELEMS  = 1,
    parameter int OUT_ELEMS = 1,
    parameter int BITS      = 1
) (
    input  logic                      ap_clk,
    input  logic                      ap_rst_n,
    input  logic [IN_ELEMS*BITS-1:0]  in0_tdata,
    input  logic                      in0_tvalid,
    output logic                      in0_tready,
    output logic [OUT_ELEMS*BITS-1:0] out0_tdata,
    output logic                      out0_tvalid,
    input  logic                      out0_tready
);
  localparam int CAP = 2 * (IN_ELEMS + OUT_ELEMS);  // elements the buffer holds
  localparam int CW = $clog2(CAP + 1);
  logic [CAP*BITS-1:0] buffer;  // elements waiting, element 0 lowest; zero above `count`
  logic [CW-1:0] count;
  wire push = in0_tvalid && in0_tready;
  wire pop = out0_tvalid && out0_tready;
  wire [CW-1:0] kept = pop ? count - CW'(OUT_ELEMS) : count;
  wire [CAP*BITS-1:0] shifted = pop ? buffer >> (OUT_ELEMS * BITS) : buffer;
  wire [CAP*BITS-1:0] incoming = {{(CAP - IN_ELEMS) * BITS{1'b0}}, in0_tdata};

  assign in0_tready = count <= CW'(CAP - IN_ELEMS);
  assign out0_tvalid = count >= CW'(OUT_ELEMS);
  assign out0_tdata = buffer[OUT_ELEMS*BITS-1:0];

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      buffer <= '0;
      count <= '0;
    end else begin
      buffer <= push ? shifted | (incoming << (32'(kept) * BITS)) : shifted;
      count <= push ? kept + CW'(IN_ELEMS) : kept;
    end
  end
endmodule
