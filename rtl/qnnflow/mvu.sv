// qnnflow_mvu: MatrixVectorUnit with its weights on chip (mvu_internal in hls/qnnflow/mvu.hpp).
// Stream order (as the HLS kernel): per input vector, output fold nf = 0 .. MH/PE-1, input
// fold sf = 0 .. MW/SIMD-1; the vector's SF input words are read during nf == 0 and replayed
// from a buffer for the other folds; one output word of PE elements (lane 0 lowest) per
// (vector, nf). One folded step per cycle (II = 1) with valid/ready on both sides, so a
// frame of V vectors takes V * (MW/SIMD) * (MH/PE) cycles; the whole pipeline stalls while
// the output is not taken (out0_tready -> in0_tready is one AND gate).
// Weights: WEIGHTS_FILE ($readmemh) holds (MH/PE)*(MW/SIMD) words of PE*SIMD*W_BITS bits,
// word nf*SF + sf = the PE lanes' SIMD weight codes of output channels nf*PE + lane and inputs
// sf*SIMD .., lane 0 lowest (qnnflow_mvu_lanes' w); W_RAM_STYLE "block" or "distributed".
// Activation: qnnflow_activation_lanes (T thresholds per channel from THRESHOLDS_FILE, or
// the accumulator / XNOR popcount-to-dot when T = 0).
// Latency: the output word of (vector, nf) is valid 2 cycles after its last input step.
// Pipeline: step (counters, ROM and buffer read) -> B (lanes, accumulate) -> C (activation).
module qnnflow_mvu #(
    parameter int MW = 1,
    parameter int MH = 1,
    parameter int SIMD = 1,
    parameter int PE = 1,
    parameter int IN_BITS = 1,
    parameter bit IN_SIGNED = 1'b0,
    parameter int W_BITS = 1,
    parameter bit XNOR = 1'b0,
    parameter int ACC_BITS = 8,
    parameter int OUT_BITS = 8,
    parameter USE_DSP = "auto",
    parameter WEIGHTS_FILE = "",
    parameter W_RAM_STYLE = "distributed",
    parameter int T = 0,
    parameter int ACT_VAL = 0,
    parameter bit POPCOUNT_TO_DOT = 1'b0,
    parameter THRESHOLDS_FILE = ""
) (
    input  logic                      ap_clk,
    input  logic                      ap_rst_n,
    input  logic [SIMD*IN_BITS-1:0]   in0_tdata,
    input  logic                      in0_tvalid,
    output logic                      in0_tready,
    output logic [PE*OUT_BITS-1:0]    out0_tdata,
    output logic                      out0_tvalid,
    input  logic                      out0_tready
);
    localparam int SF = MW / SIMD;
    localparam int NF = MH / PE;
    localparam int DEPTH = SF * NF;
    localparam int SF_BITS = SF > 1 ? $clog2(SF) : 1;
    localparam int NF_BITS = NF > 1 ? $clog2(NF) : 1;
    localparam int A_BITS = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam int IW = SIMD * IN_BITS;
    localparam int WW = PE * SIMD * W_BITS;

    // Step counters: sf inner, nf outer; addr = nf*SF + sf without a multiplier.
    logic [SF_BITS-1:0] sf;
    logic [NF_BITS-1:0] nf;
    logic [A_BITS-1:0] addr;
    logic c_valid, advance, first_fold, step;
    assign advance = !c_valid || out0_tready;  // every stage moves on together
    assign first_fold = nf == '0;
    assign in0_tready = advance && first_fold;
    assign step = advance && (!first_fold || in0_tvalid);

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            sf <= '0;
            nf <= '0;
            addr <= '0;
        end else if (step) begin
            if (sf == SF_BITS'(SF - 1)) begin
                sf <= '0;
                nf <= nf == NF_BITS'(NF - 1) ? '0 : nf + 1'b1;
            end else begin
                sf <= sf + 1'b1;
            end
            addr <= addr == A_BITS'(DEPTH - 1) ? '0 : addr + 1'b1;
        end
    end

    // The vector's input words, kept for folds nf > 0.
    logic [IW-1:0] vector_words [SF];
    always_ff @(posedge ap_clk) if (step && first_fold) vector_words[sf] <= in0_tdata;

    // Stage B: the step's input word, weights and position.
    logic b_valid, b_first, b_last;
    logic [NF_BITS-1:0] b_nf;
    logic [IW-1:0] b_word;
    logic [WW-1:0] b_w;
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) b_valid <= 1'b0;
        else if (advance) b_valid <= step;
    end
    always_ff @(posedge ap_clk) begin
        if (advance) begin
            b_word <= first_fold ? in0_tdata : vector_words[sf];
            b_first <= sf == '0;
            b_last <= sf == SF_BITS'(SF - 1);
            b_nf <= nf;
        end
    end
    if (W_RAM_STYLE == "block") begin : g_bram
        (* ram_style = "block", rom_style = "block" *) logic [WW-1:0] rom [DEPTH];
        initial if (WEIGHTS_FILE != "") $readmemh(WEIGHTS_FILE, rom);  // skip the default elaboration
        always_ff @(posedge ap_clk) if (advance) b_w <= rom[addr];
    end else begin : g_lutram
`ifdef YOSYS  // Yosys cannot force a ROM into LUTRAM; unforced, it builds LUT logic
        logic [WW-1:0] rom [DEPTH];
`else
        (* ram_style = "distributed", rom_style = "distributed" *) logic [WW-1:0] rom [DEPTH];
`endif
        initial if (WEIGHTS_FILE != "") $readmemh(WEIGHTS_FILE, rom);  // skip the default elaboration
        always_ff @(posedge ap_clk) if (advance) b_w <= rom[addr];
    end

    logic [PE*ACC_BITS-1:0] partial, acc, acc_next;
    qnnflow_mvu_lanes #(
        .PE(PE), .SIMD(SIMD), .IN_BITS(IN_BITS), .IN_SIGNED(IN_SIGNED), .W_BITS(W_BITS),
        .XNOR(XNOR), .ACC_BITS(ACC_BITS), .USE_DSP(USE_DSP)
    ) lanes (.x(b_word), .w(b_w), .partial(partial));
    for (genvar p = 0; p < PE; p++) begin : g_acc
        assign acc_next[p*ACC_BITS +: ACC_BITS] = b_first ? partial[p*ACC_BITS +: ACC_BITS]
            : acc[p*ACC_BITS +: ACC_BITS] + partial[p*ACC_BITS +: ACC_BITS];
    end
    always_ff @(posedge ap_clk) if (advance && b_valid) acc <= acc_next;

    // Stage C: the activation of a finished fold, held until taken.
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) c_valid <= 1'b0;
        else if (advance) c_valid <= b_valid && b_last;
    end
    qnnflow_activation_lanes #(
        .PE(PE), .FOLDS(NF), .T(T), .VALUE_BITS(ACC_BITS), .TH_BITS(ACC_BITS + 1),
        .OUT_BITS(OUT_BITS), .ACT_VAL(ACT_VAL), .POPCOUNT_TO_DOT(POPCOUNT_TO_DOT), .MW(MW),
        .THRESHOLDS_FILE(THRESHOLDS_FILE)
    ) activation (
        .ap_clk(ap_clk), .en(advance && b_valid && b_last), .fold(b_nf), .value(acc_next),
        .y(out0_tdata)
    );
    assign out0_tvalid = c_valid;
endmodule
