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
    localparam int PB = $clog2(H * W + 1);
    localparam int GB = $clog2(GROUPS + 1), JB = $clog2(GROUP_WORDS + 1);
    localparam int YB = $clog2(H + 1), XB = $clog2(W + 1), FB = $clog2(F + 1);
    localparam int RB = $clog2(REPLAYS + 1), UW = UNIT * BITS;

    localparam int CU = C / UNIT, PW = AB + 1 + BB;  // units per pixel; position bits

    // Positions (row, bank) of frame units, kept by adding constants (no multipliers or
    // dividers): the word written and the pixel / channel group it belongs to; the word read
    // and the starts of its kx, ky, ox and oy loops.
    logic filling;
    logic [GB-1:0] group;
    logic [PB-1:0] pixel;
    logic [JB-1:0] j;
    logic [YB-1:0] oy, ky;
    logic [XB-1:0] ox, kx;
    logic [FB-1:0] f;
    logic [RB-1:0] replay;
    logic [PW-1:0] w_at, w_pixel, w_group, r_at, r_kx, r_ky, r_ox, r_oy;
    logic [AB-1:0] wrow, rrow;
    logic [BB-1:0] wbank, rbank, rbank_q;
    logic can_out, fire, last_in, last_out;
    logic [UW-1:0] bank_q[BANKS];

    // Position p advanced by n units.
    function automatic logic [PW-1:0] advance(input logic [PW-1:0] p, input integer n);
        int bank;
        logic [AB:0] row;
        bank = int'(p[BB-1:0]) + n % BANKS;
        row = p[PW-1:BB] + (AB + 1)'(n / BANKS) + (AB + 1)'(bank >= BANKS ? 1 : 0);
        advance = {row, BB'(bank >= BANKS ? bank - BANKS : bank)};
    endfunction

    assign wrow = w_at[AB+BB-1:BB];
    assign wbank = w_at[BB-1:0];
    assign rrow = r_at[AB+BB-1:BB];
    assign rbank = r_at[BB-1:0];
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
            wdata = in0_tdata[(b % IN_UNITS)*UW+:UW];  // wbank is a multiple of IN_UNITS
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
            {w_at, w_pixel, w_group, r_at, r_kx, r_ky, r_ox, r_oy} <= '0;
            out0_tvalid <= 1'b0;
        end else begin
            if (fire && !filling) out0_tvalid <= 1'b1;
            else if (out0_tready) out0_tvalid <= 1'b0;
            if (fire && filling) begin
                if (last_in) filling <= 1'b0;
                w_at <= advance(w_at, IN_UNITS);
                if (int'(j) != GROUP_WORDS - 1) begin
                    j <= j + JB'(1);
                end else begin
                    j <= '0;
                    if (int'(pixel) != H * W - 1) begin
                        pixel <= pixel + PB'(1);
                        w_pixel <= advance(w_pixel, CU);
                        w_at <= advance(w_pixel, CU);
                    end else begin
                        pixel <= '0;
                        group <= int'(group) == GROUPS - 1 ? '0 : group + GB'(1);
                        w_group <= advance(w_group, CU / GROUPS);
                        w_pixel <= advance(w_group, CU / GROUPS);
                        w_at <= advance(w_group, CU / GROUPS);
                        if (int'(group) == GROUPS - 1) {w_group, w_pixel, w_at} <= '0;
                    end
                end
            end
            if (fire && !filling) begin
                rbank_q <= rbank;
                if (last_out) filling <= 1'b1;
                r_at <= advance(r_at, OUT_UNITS);
                if (int'(f) != F - 1) begin
                    f <= f + FB'(1);
                end else begin
                    f <= '0;
                    if (int'(kx) != KW - 1) begin
                        kx <= kx + XB'(1);
                        r_kx <= advance(r_kx, CU);
                        r_at <= advance(r_kx, CU);
                    end else begin
                        kx <= '0;
                        if (int'(ky) != KH - 1) begin
                            ky <= ky + YB'(1);
                            r_ky <= advance(r_ky, W * CU);
                            {r_kx, r_at} <= {2{advance(r_ky, W * CU)}};
                        end else begin
                            ky <= '0;
                            if (int'(ox) != OW - 1) begin
                                ox <= ox + XB'(1);
                                r_ox <= advance(r_ox, SW * CU);
                                {r_ky, r_kx, r_at} <= {3{advance(r_ox, SW * CU)}};
                            end else begin
                                ox <= '0;
                                if (int'(oy) != OH - 1) begin
                                    oy <= oy + YB'(1);
                                    r_oy <= advance(r_oy, SH * W * CU);
                                    {r_ox, r_ky, r_kx, r_at} <= {4{advance(r_oy, SH * W * CU)}};
                                end else begin
                                    oy <= '0;
                                    replay <= int'(replay) == REPLAYS - 1 ? '0 : replay + RB'(1);
                                    {r_oy, r_ox, r_ky, r_kx, r_at} <= '0;
                                end
                            end
                        end
                    end
                end
            end
        end
    end
endmodule
