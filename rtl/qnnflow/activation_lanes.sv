// qnnflow_activation_lanes: the output stage of PE lanes (the MatrixVectorUnit's activation
// and the standalone Thresholding), as activate_lanes / activation.hpp do it:
//   T > 0:  y[p] = ACT_VAL + count(i: value[p] >= th[fold][p][i]), its low OUT_BITS bits
//           (two's complement when negative; a BIPOLAR output is the 0/1 count itself);
//   T == 0: y[p] = value[p] (POPCOUNT_TO_DOT = 0) or 2 * value[p] - MW (the XNOR popcount
//           as the bipolar dot product), its low OUT_BITS bits.
// value: lane p at bits [p*VALUE_BITS +: VALUE_BITS], signed. Thresholds: THRESHOLDS_FILE
// ($readmemh) holds FOLDS words, word `fold` = the PE lanes' T thresholds of output channels
// fold*PE .. fold*PE+PE-1, threshold i of lane p at bits [(p*T + i)*TH_BITS +: TH_BITS]
// (signed, TH_BITS = VALUE_BITS + 1 holds every clipped threshold); a distributed ROM
// (Yosys: LUT logic).
// Timing: a clock enable `en` registers value and reads the thresholds of `fold`; y is
// combinational from those registers and holds until the next `en` (latency 1).
module qnnflow_activation_lanes #(
    parameter int PE = 1,
    parameter int FOLDS = 1,
    parameter int T = 0,
    parameter int VALUE_BITS = 8,
    parameter int TH_BITS = 9,
    parameter int OUT_BITS = 8,
    parameter int ACT_VAL = 0,
    parameter bit POPCOUNT_TO_DOT = 1'b0,
    parameter int MW = 0,
    parameter THRESHOLDS_FILE = "",
    localparam int FOLD_BITS = FOLDS > 1 ? $clog2(FOLDS) : 1
) (
    input  logic                       ap_clk,
    input  logic                       en,
    input  logic [FOLD_BITS-1:0]       fold,
    input  logic [PE*VALUE_BITS-1:0]   value,
    output logic [PE*OUT_BITS-1:0]     y
);
    logic [PE*VALUE_BITS-1:0] value_q;
    always_ff @(posedge ap_clk) if (en) value_q <= value;

    if (T > 0) begin : g_thresholds
        localparam int TH_WORD = PE * T * TH_BITS;
`ifdef YOSYS  // Yosys cannot force a ROM into LUTRAM; unforced, it builds LUT logic
        logic [TH_WORD-1:0] rom [FOLDS];
`else
        (* ram_style = "distributed", rom_style = "distributed" *) logic [TH_WORD-1:0] rom [FOLDS];
`endif
        initial if (THRESHOLDS_FILE != "") $readmemh(THRESHOLDS_FILE, rom);  // skip the default elaboration
        logic [TH_WORD-1:0] th_q;
        always_ff @(posedge ap_clk) if (en) th_q <= rom[fold];

        for (genvar p = 0; p < PE; p++) begin : g_lane
            logic signed [VALUE_BITS-1:0] v;
            assign v = value_q[p*VALUE_BITS +: VALUE_BITS];
            logic [OUT_BITS-1:0] count;  // wraps like the kernel's low OUT_BITS bits
            always_comb begin
                count = OUT_BITS'(ACT_VAL);
                for (int i = 0; i < T; i++) begin
                    count = count + OUT_BITS'(v >= $signed(th_q[(p*T + i)*TH_BITS +: TH_BITS]));
                end
            end
            assign y[p*OUT_BITS +: OUT_BITS] = count;
        end
    end else begin : g_pass
        // Wide enough for 2 * value - MW and for sign extension up to OUT_BITS.
        localparam int WIDE = (VALUE_BITS + 2 > OUT_BITS ? VALUE_BITS + 2 : OUT_BITS) + 1;
        /* verilator lint_off UNUSEDSIGNAL */  // the thresholds' fold; top bits wrap away
        logic [FOLD_BITS-1:0] unused_fold;
        assign unused_fold = fold;
        for (genvar p = 0; p < PE; p++) begin : g_lane
            logic signed [WIDE-1:0] v, r;
            assign v = WIDE'($signed(value_q[p*VALUE_BITS +: VALUE_BITS]));
            assign r = POPCOUNT_TO_DOT ? (v <<< 1) - WIDE'(MW) : v;
            assign y[p*OUT_BITS +: OUT_BITS] = r[OUT_BITS-1:0];
        end
        /* verilator lint_on UNUSEDSIGNAL */
    end
endmodule
