/* verilator lint_off DECLFILENAME */
// qnnflow_sliding_window_frame: the frame-buffer SlidingWindow (hls/qnnflow/sliding_window.hpp,
// sliding_window_frame): stores the whole frame, arriving in GROUPS channel groups (group g,
// pixel p, word j holds channels g*C/GROUPS + j*IN_PER_WORD + [0, IN_PER_WORD)), then emits its
// windows REPLAYS times in words of SIMD channels, ordered oy, ox, ky, kx, word f.
// The frame is stored in units of UNIT = gcd(IN_PER_WORD, SIMD) channels over
// BANKS = lcm(IN_PER_WORD, SIMD) / UNIT banks (unit u of the NHWC frame in bank u % BANKS, row
// u / BANKS), so one cycle writes a whole input word and another reads a whole output word.
// Schedule (the HLS kernel's): H*W*C/IN_PER_WORD fill cycles, then REPLAYS*OH*OW*KH*KW*F
// replay cycles, one word each; latency 1 cycle (one RAM read stage = output register).
module qnnflow_sliding_window_frame #(
    parameter int H = 1,
    parameter int W = 1,
    parameter int KH = 1,
    parameter int KW = 1,
    parameter int SH = 1,
    parameter int SW = 1,
    parameter int C = 1,
    parameter int SIMD = 1,
    parameter int IN_PER_WORD = 1,
    parameter int BITS = 1,
    parameter int GROUPS = 1,
    parameter int REPLAYS = 1,
    parameter int UNIT = 1,  // gcd(IN_PER_WORD, SIMD), given by the renderer
    parameter RAM_STYLE = "block"
) (
    input  logic                        ap_clk,
    input  logic                        ap_rst_n,
    input  logic [IN_PER_WORD*BITS-1:0] in0_tdata,
    input  logic                        in0_tvalid,
    output logic                        in0_tready,
    output logic [       SIMD*BITS-1:0] out0_tdata,
    output logic                        out0_tvalid,
    input  logic                        out0_tready
);
    localparam int IN_UNITS = IN_PER_WORD / UNIT, OUT_UNITS = SIMD / UNIT;
    localparam int BANKS = IN_UNITS * OUT_UNITS;  // lcm / UNIT
    localparam int UNITS = H * W * C / UNIT, DEPTH = (UNITS + BANKS - 1) / BANKS;
    localparam int GROUP_WORDS = C / GROUPS / IN_PER_WORD;  // input words per group pixel
    localparam int OH = (H - KH) / SH + 1, OW = (W - KW) / SW + 1, F = C / SIMD;
    localparam int AB = DEPTH > 1 ? $clog2(DEPTH) : 1, BB = $clog2(BANKS + 1);
    localparam int UB = $clog2(UNITS + 1), PB = $clog2(H * W + 1);
    localparam int GB = $clog2(GROUPS + 1), JB = $clog2(GROUP_WORDS + 1);
    localparam int YB = $clog2(H + 1), XB = $clog2(W + 1), FB = $clog2(F + 1);
    localparam int RB = $clog2(REPLAYS + 1), UW = UNIT * BITS;

    logic filling;
    logic [GB-1:0] group;
    logic [PB-1:0] pixel;
    logic [JB-1:0] j;
    logic [YB-1:0] oy, ky;
    logic [XB-1:0] ox, kx;
    logic [FB-1:0] f;
    logic [RB-1:0] replay;
    logic [UB-1:0] wfirst, rfirst;  // first unit of the word written / read
    logic [AB-1:0] wrow, rrow;
    logic [BB-1:0] wbank, rbank, rbank_q;
    logic can_out, fire, last_in, last_out;
    logic [UW-1:0] bank_q[BANKS];

    always_comb begin
        wfirst = UB'((int'(pixel) * C + int'(group) * (C / GROUPS) + int'(j) * IN_PER_WORD)
            / UNIT);
        rfirst = UB'((((int'(oy) * SH + int'(ky)) * W + int'(ox) * SW + int'(kx)) * C
            + int'(f) * SIMD) / UNIT);
        wrow = AB'(int'(wfirst) / BANKS);
        wbank = BB'(int'(wfirst) % BANKS);
        rrow = AB'(int'(rfirst) / BANKS);
        rbank = BB'(int'(rfirst) % BANKS);
    end
    assign can_out = !out0_tvalid || out0_tready;
    assign fire = filling ? in0_tvalid : can_out;
    assign in0_tready = filling;
    assign last_in = int'(j) == GROUP_WORDS - 1 && int'(pixel) == H * W - 1
        && int'(group) == GROUPS - 1;
    assign last_out = int'(f) == F - 1 && int'(kx) == KW - 1 && int'(ky) == KH - 1
        && int'(ox) == OW - 1 && int'(oy) == OH - 1 && int'(replay) == REPLAYS - 1;

    // A word's units share one row and occupy consecutive banks from wbank (rbank).
    for (genvar b = 0; b < BANKS; b++) begin : g_bank
        logic we;
        logic [UW-1:0] wdata;
        always_comb begin
            we = fire && filling && b >= int'(wbank) && b < int'(wbank) + IN_UNITS;
            wdata = in0_tdata[((b - int'(wbank) + BANKS) % IN_UNITS)*UW+:UW];
        end
        qnnflow_window_ram #(
            .WIDTH(UW),
            .DEPTH(DEPTH),
            .STYLE(RAM_STYLE)
        ) bank (
            .clk(ap_clk),
            .we(we),
            .waddr(wrow),
            .wdata(wdata),
            .ren(fire && !filling),
            .raddr(rrow),
            .q(bank_q[b])
        );
    end
    for (genvar k = 0; k < OUT_UNITS; k++) begin : g_lane
        assign out0_tdata[k*UW+:UW] = bank_q[int'(rbank_q)+k];
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            filling <= 1'b1;
            {group, pixel, j, oy, ky, ox, kx, f, replay, rbank_q} <= '0;
            out0_tvalid <= 1'b0;
        end else begin
            if (fire && !filling) out0_tvalid <= 1'b1;
            else if (out0_tready) out0_tvalid <= 1'b0;
            if (fire && filling) begin
                if (last_in) filling <= 1'b0;
                if (int'(j) != GROUP_WORDS - 1) begin
                    j <= j + JB'(1);
                end else begin
                    j <= '0;
                    if (int'(pixel) != H * W - 1) begin
                        pixel <= pixel + PB'(1);
                    end else begin
                        pixel <= '0;
                        group <= int'(group) == GROUPS - 1 ? '0 : group + GB'(1);
                    end
                end
            end
            if (fire && !filling) begin
                rbank_q <= rbank;
                if (last_out) filling <= 1'b1;
                if (int'(f) != F - 1) begin
                    f <= f + FB'(1);
                end else begin
                    f <= '0;
                    if (int'(kx) != KW - 1) begin
                        kx <= kx + XB'(1);
                    end else begin
                        kx <= '0;
                        if (int'(ky) != KH - 1) begin
                            ky <= ky + YB'(1);
                        end else begin
                            ky <= '0;
                            if (int'(ox) != OW - 1) begin
                                ox <= ox + XB'(1);
                            end else begin
                                ox <= '0;
                                if (int'(oy) != OH - 1) begin
                                    oy <= oy + YB'(1);
                                end else begin
                                    oy <= '0;
                                    replay <= int'(replay) == REPLAYS - 1 ? '0 : replay + RB'(1);
                                end
                            end
                        end
                    end
                end
            end
        end
    end
endmodule
