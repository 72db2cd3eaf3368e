// qnnflow_mvu_lanes: the datapath of one folded MatrixVectorUnit step, purely combinational
// (no clock, latency 0; the caller registers its inputs and outputs). One input word of
// SIMD elements times each of PE lanes' SIMD weights gives PE partial sums of ACC_BITS bits
// (two's complement), as lane_partials in hls/qnnflow/mvu.hpp:
//   x: element s at bits [s*IN_BITS +: IN_BITS] (two's complement when IN_SIGNED), read
//      with one extra bit so signed and unsigned inputs multiply alike;
//   w: lane p's weight for element s at bits [(p*SIMD + s)*W_BITS +: W_BITS] (lane 0's
//      SIMD weights lowest); W_BITS == 1 is bipolar (1 = +x, 0 = -x, no multiplier), wider
//      weights are two's complement and multiply (use_dsp from USE_DSP: "yes", "no", or
//      "auto" = leave it to the tool; Yosys' synth_xilinx itself ignores use_dsp = "no");
//   XNOR = 1 (IN_BITS == W_BITS == 1): partial = popcount(~(x ^ w)).
//   partial: lane p at bits [p*ACC_BITS +: ACC_BITS].
// The sums wrap modulo 2^ACC_BITS: the renderer sizes ACC_BITS for the op's worst-case
// accumulator, so every complete dot product is exact. The SIMD terms are summed as one
// expression (the tool builds the adder tree). Two lanes sharing one DSP (the HLS
// PACK_SHIFT) is not done here; it would give the same numbers.
module qnnflow_mvu_lanes #(
    parameter int PE = 1,
    parameter int SIMD = 1,
    parameter int IN_BITS = 1,
    parameter bit IN_SIGNED = 1'b0,
    parameter int W_BITS = 1,
    parameter bit XNOR = 1'b0,
    parameter int ACC_BITS = 8,
    parameter USE_DSP = "auto"
) (
    input  logic [SIMD*IN_BITS-1:0]     x,
    input  logic [PE*SIMD*W_BITS-1:0]   w,
    output logic [PE*ACC_BITS-1:0]      partial
);
    localparam int XV_BITS = IN_BITS + 1;              // an input element, signed
    localparam int PROD_BITS = W_BITS + IN_BITS + 1;   // a signed product

    // The SIMD input elements as signed values of XV_BITS (shared by every lane).
    /* verilator lint_off UNUSEDSIGNAL */  // XNOR mode reads the raw bits instead
    logic [SIMD*XV_BITS-1:0] xv;  // flat: Yosys reads unpacked wire arrays poorly
    /* verilator lint_on UNUSEDSIGNAL */
    for (genvar s = 0; s < SIMD; s++) begin : g_x
        if (IN_SIGNED) begin : g_signed
            assign xv[s*XV_BITS +: XV_BITS] = {x[s*IN_BITS+IN_BITS-1], x[s*IN_BITS +: IN_BITS]};
        end else begin : g_unsigned
            assign xv[s*XV_BITS +: XV_BITS] = {1'b0, x[s*IN_BITS +: IN_BITS]};
        end
    end

    for (genvar p = 0; p < PE; p++) begin : g_lane
        // term[s]: this lane's contribution of element s, wrapped to ACC_BITS.
        logic [SIMD*ACC_BITS-1:0] term;
        for (genvar s = 0; s < SIMD; s++) begin : g_term
            localparam int WI = (p * SIMD + s) * W_BITS;
            /* verilator lint_off UNUSEDSIGNAL */  // unused in XNOR mode
            logic signed [XV_BITS-1:0] xs;
            /* verilator lint_on UNUSEDSIGNAL */
            assign xs = xv[s*XV_BITS +: XV_BITS];
            if (XNOR) begin : g_xnor
                logic same;  // one bit first: a cast would widen x and w before the ~
                assign same = ~(x[s] ^ w[WI]);
                assign term[s*ACC_BITS +: ACC_BITS] = ACC_BITS'(same);
            end else if (W_BITS == 1) begin : g_bipolar
                logic signed [ACC_BITS-1:0] xe;
                assign xe = ACC_BITS'(xs);
                assign term[s*ACC_BITS +: ACC_BITS] = w[WI] ? xe : -xe;
            end else begin : g_mul
                // The prod's top bits wrap away when ACC_BITS < PROD_BITS; USE_DSP is a
                // string of 2 or 3 characters, compared as a number.
                /* verilator lint_off UNUSEDSIGNAL */
                /* verilator lint_off WIDTHEXPAND */
                logic signed [W_BITS-1:0] wv;
                assign wv = w[WI +: W_BITS];
                if (USE_DSP == "yes") begin : g_dsp
                    (* use_dsp = "yes" *) logic signed [PROD_BITS-1:0] prod;
                    assign prod = PROD_BITS'(wv * xs);
                    assign term[s*ACC_BITS +: ACC_BITS] = ACC_BITS'(prod);
                end else if (USE_DSP == "no") begin : g_lut
                    (* use_dsp = "no" *) logic signed [PROD_BITS-1:0] prod;
                    assign prod = PROD_BITS'(wv * xs);
                    assign term[s*ACC_BITS +: ACC_BITS] = ACC_BITS'(prod);
                end else begin : g_auto
                    logic signed [PROD_BITS-1:0] prod;
                    assign prod = PROD_BITS'(wv * xs);
                    assign term[s*ACC_BITS +: ACC_BITS] = ACC_BITS'(prod);
                end
                /* verilator lint_on WIDTHEXPAND */
                /* verilator lint_on UNUSEDSIGNAL */
            end
        end

        logic [ACC_BITS-1:0] sum;
        always_comb begin
            sum = '0;
            for (int s = 0; s < SIMD; s++) sum = sum + term[s*ACC_BITS +: ACC_BITS];
        end
        assign partial[p*ACC_BITS +: ACC_BITS] = sum;
    end
endmodule
