// qnnflow_thresholding: the standalone multi-threshold activation (hls/qnnflow/thresholding.hpp)
// on a stream of PE channels per word. Stream order: behind a stream_ddr MatrixVectorUnit the
// frame arrives in GROUPS channel groups (group -> vector -> fold within the group), else
// GROUPS = 1 (vector -> fold); the output keeps the input's order. Each input element (IN_BITS,
// two's complement when IN_SIGNED) is read with one extra bit and compared with the T
// thresholds of its channel, group*GROUP_FOLDS + fold (qnnflow_activation_lanes, TH_BITS =
// IN_BITS + 2, THRESHOLDS_FILE with C/PE words). One word per cycle (II = 1); the output word
// is valid the cycle after its input word moved (latency 1) and holds until taken.
module qnnflow_thresholding #(
    parameter int C = 1,
    parameter int PE = 1,
    parameter int VECTORS = 1,
    parameter int GROUPS = 1,
    parameter int IN_BITS = 1,
    parameter bit IN_SIGNED = 1'b0,
    parameter int OUT_BITS = 1,
    parameter int T = 1,
    parameter int ACT_VAL = 0,
    parameter THRESHOLDS_FILE = ""
) (
    input  logic                   ap_clk,
    input  logic                   ap_rst_n,
    input  logic [PE*IN_BITS-1:0]  in0_tdata,
    input  logic                   in0_tvalid,
    output logic                   in0_tready,
    output logic [PE*OUT_BITS-1:0] out0_tdata,
    output logic                   out0_tvalid,
    input  logic                   out0_tready
);
    localparam int FOLDS = C / PE;
    localparam int GROUP_FOLDS = FOLDS / GROUPS;
    localparam int F_BITS = FOLDS > 1 ? $clog2(FOLDS) : 1;
    localparam int V_BITS = VECTORS > 1 ? $clog2(VECTORS) : 1;
    localparam int VALUE_BITS = IN_BITS + 1;

    // Channel fold of the arriving word: `fold` counts within the group, `base` is the
    // group's first fold; a group ends after VECTORS passes over its GROUP_FOLDS words.
    logic [F_BITS-1:0] fold, base;
    logic [V_BITS-1:0] vector;
    logic o_valid, take;
    assign in0_tready = !o_valid || out0_tready;
    assign take = in0_tvalid && in0_tready;
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            fold <= '0;
            base <= '0;
            vector <= '0;
        end else if (take) begin
            if (fold == F_BITS'(GROUP_FOLDS - 1)) begin
                fold <= '0;
                if (vector == V_BITS'(VECTORS - 1) || GROUPS == 1) begin
                    vector <= '0;
                    base <= base == F_BITS'(FOLDS - GROUP_FOLDS) ? '0 : base + F_BITS'(GROUP_FOLDS);
                end else begin
                    vector <= vector + 1'b1;
                end
            end else begin
                fold <= fold + 1'b1;
            end
        end
    end
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) o_valid <= 1'b0;
        else if (in0_tready) o_valid <= in0_tvalid;
    end

    logic [PE*VALUE_BITS-1:0] value;
    for (genvar p = 0; p < PE; p++) begin : g_lane
        localparam int B = p * IN_BITS;
        assign value[p*VALUE_BITS +: VALUE_BITS] =
            {IN_SIGNED ? in0_tdata[B + IN_BITS - 1] : 1'b0, in0_tdata[B +: IN_BITS]};
    end
    qnnflow_activation_lanes #(
        .PE(PE), .FOLDS(FOLDS), .T(T), .VALUE_BITS(VALUE_BITS), .TH_BITS(VALUE_BITS + 1),
        .OUT_BITS(OUT_BITS), .ACT_VAL(ACT_VAL), .THRESHOLDS_FILE(THRESHOLDS_FILE)
    ) activation (.ap_clk(ap_clk), .en(take), .fold(base + fold), .value(value), .y(out0_tdata));
    assign out0_tvalid = o_valid;
endmodule
