// qnnflow_widen: every element of a word of LANES elements widened from BITS to OBITS bits
// (combinational, no latency), as element_value.hpp's widen_word: a BIPOLAR code b becomes
// the value 2b - 1, a SIGNED element is sign-extended, an unsigned one zero-extended. Used by
// the ops that combine streams of different element types (concat, add, global pool).
module qnnflow_widen #(
    parameter LANES = 1,
    parameter BITS = 1,
    parameter SIGNED = 0,
    parameter BIPOLAR = 0,
    parameter OBITS = 1
) (
    input  logic [LANES*BITS-1:0]  in_word,
    output logic [LANES*OBITS-1:0] out_word
);
  for (genvar lane = 0; lane < LANES; lane++) begin : g_lane
    logic [BITS-1:0] code;
    assign code = in_word[lane*BITS+:BITS];
    if (BIPOLAR != 0) begin : g_bipolar
      assign out_word[lane*OBITS+:OBITS] = code[0] ? OBITS'(1) : {OBITS{1'b1}};
    end else if (OBITS == BITS) begin : g_same
      assign out_word[lane*OBITS+:OBITS] = code;
    end else if (SIGNED != 0) begin : g_signed
      assign out_word[lane*OBITS+:OBITS] = {{(OBITS - BITS) {code[BITS-1]}}, code};
    end else begin : g_unsigned
      assign out_word[lane*OBITS+:OBITS] = {{(OBITS - BITS) {1'b0}}, code};
    end
  end
endmodule
