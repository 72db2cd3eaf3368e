// qnnflow_mvu_group_major: the on-chip half of a stream_ddr MatrixVectorUnit
// (mvu_group_major in hls/qnnflow/mvu.hpp). Loop order: output fold nf (channel group) ->
// vector -> input fold sf, one step per cycle, so a frame takes NF*VECTORS*SF steps and the
// input stream carries the frame's vectors NF times (the SlidingWindow in front replays it).
// Slice word (nf, sf) on `w` holds the PE lanes' SIMD-weight words side by side (lane 0
// lowest); the NF*SF slice words arrive once per frame, each during vector 0 of its group,
// and stay in `slice` (one wide memory = PE lane memories side by side) for the group's
// other vectors. Output: one word of PE activated lanes per (nf, vector), group-major.
// Pipeline: A (handshake; slice read/write) -> B (qnnflow_mvu_lanes, accumulate) -> the
// activation's register (qnnflow_activation_lanes, the output register); every stage holds
// while the output word waits for out0_tready. Latency: the word of a group's last input
// fold leaves 2 cycles after that input word's handshake.
module qnnflow_mvu_group_major #(
    parameter int MW = 1,
    parameter int MH = 1,
    parameter int SIMD = 1,
    parameter int PE = 1,
    parameter int VECTORS = 1,
    parameter int IN_BITS = 1,
    parameter bit IN_SIGNED = 1'b0,
    parameter int W_BITS = 1,
    parameter bit XNOR = 1'b0,
    parameter int ACC_BITS = 8,
    parameter int OUT_BITS = 8,
    parameter USE_DSP = "auto",
    /* verilator lint_off UNUSEDPARAM */  // read by synthesis through the attribute
    parameter SLICE_RAM_STYLE = "distributed",
    /* verilator lint_on UNUSEDPARAM */
    // activation (qnnflow_activation_lanes)
    parameter int T = 0,
    parameter int ACT_VAL = 0,
    parameter int TH_BITS = ACC_BITS + 1,
    parameter bit POPCOUNT_TO_DOT = 1'b0,
    parameter THRESHOLDS_FILE = ""
) (
    input  logic                       ap_clk,
    input  logic                       ap_rst_n,
    input  logic [SIMD*IN_BITS-1:0]    in0_tdata,
    input  logic                       in0_tvalid,
    output logic                       in0_tready,
    input  logic [PE*SIMD*W_BITS-1:0]  w_tdata,
    input  logic                       w_tvalid,
    output logic                       w_tready,
    output logic [PE*OUT_BITS-1:0]     out0_tdata,
    output logic                       out0_tvalid,
    input  logic                       out0_tready
);
    localparam int SF = MW / SIMD;
    localparam int NF = MH / PE;
    localparam int WW = PE * SIMD * W_BITS;
    localparam int SFW = SF > 1 ? $clog2(SF) : 1;
    localparam int NFW = NF > 1 ? $clog2(NF) : 1;
    localparam int VW = VECTORS > 1 ? $clog2(VECTORS) : 1;

    logic adv;  // every stage moves on (the output register is free or being read)
    assign adv = !out0_tvalid || out0_tready;

    // ---- A: loop counters, the handshake, the slice memory ----
    logic [SFW-1:0] sf;
    logic [VW-1:0] vector;
    logic [NFW-1:0] nf;
    logic first_vector, fire;
    assign first_vector = vector == '0;
    assign in0_tready = adv && (!first_vector || w_tvalid);
    assign w_tready = adv && first_vector && in0_tvalid;
    assign fire = in0_tvalid && in0_tready;

    (* ram_style = SLICE_RAM_STYLE *) logic [WW-1:0] slice [SF];
    logic [WW-1:0] w_kept;  // slice[sf], read in A for B
    always_ff @(posedge ap_clk) begin
        if (fire && first_vector) slice[sf] <= w_tdata;
        if (fire) w_kept <= slice[sf];
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            sf <= '0;
            vector <= '0;
            nf <= '0;
        end else if (fire) begin
            if (sf == SFW'(SF - 1)) begin
                sf <= '0;
                if (vector == VW'(VECTORS - 1)) begin
                    vector <= '0;
                    nf <= nf == NFW'(NF - 1) ? '0 : nf + 1'b1;
                end else begin
                    vector <= vector + 1'b1;
                end
            end else begin
                sf <= sf + 1'b1;
            end
        end
    end

    // ---- B: PE partial sums of the step, accumulated over the SF input folds ----
    logic b_valid, b_first, b_last, b_new;
    logic [NFW-1:0] b_nf;
    logic [SIMD*IN_BITS-1:0] b_x;
    logic [WW-1:0] b_w_new;
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            b_valid <= 1'b0;
        end else if (adv) begin
            b_valid <= fire;
        end
        if (adv && fire) begin
            b_first <= sf == '0;
            b_last <= sf == SFW'(SF - 1);
            b_new <= first_vector;
            b_nf <= nf;
            b_x <= in0_tdata;
            b_w_new <= w_tdata;
        end
    end

    logic [PE*ACC_BITS-1:0] partial, acc, sum;
    qnnflow_mvu_lanes #(
        .PE(PE), .SIMD(SIMD), .IN_BITS(IN_BITS), .IN_SIGNED(IN_SIGNED), .W_BITS(W_BITS),
        .XNOR(XNOR), .ACC_BITS(ACC_BITS), .USE_DSP(USE_DSP)
    ) lanes (
        .x(b_x), .w(b_new ? b_w_new : w_kept), .partial(partial)
    );
    for (genvar p = 0; p < PE; p++) begin : g_sum
        assign sum[p*ACC_BITS +: ACC_BITS] = b_first ? partial[p*ACC_BITS +: ACC_BITS]
            : acc[p*ACC_BITS +: ACC_BITS] + partial[p*ACC_BITS +: ACC_BITS];
    end
    always_ff @(posedge ap_clk) begin
        if (adv && b_valid) acc <= sum;
    end

    // ---- C: the activation of the group's PE accumulators, registered inside it (its
    // register is the output register: it loads only when the output word moves on) ----
    logic activate;
    assign activate = adv && b_valid && b_last;
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) out0_tvalid <= 1'b0;
        else if (adv) out0_tvalid <= b_valid && b_last;
    end
    qnnflow_activation_lanes #(
        .PE(PE), .FOLDS(NF), .T(T), .VALUE_BITS(ACC_BITS), .TH_BITS(TH_BITS),
        .OUT_BITS(OUT_BITS), .ACT_VAL(ACT_VAL), .POPCOUNT_TO_DOT(POPCOUNT_TO_DOT), .MW(MW),
        .THRESHOLDS_FILE(THRESHOLDS_FILE)
    ) activation (
        .ap_clk(ap_clk), .en(activate), .fold(b_nf), .value(sum), .y(out0_tdata)
    );
endmodule
