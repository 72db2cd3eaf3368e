// qnnflow_maxpool: StreamingMaxPool (hls/qnnflow/maxpool.hpp) for any square kernel K and
// stride S, with pads (TOP, LEFT, BOTTOM, RIGHT) that never win the max (Darknet's -inf
// border, e.g. its 2x2 stride-1 pool padding only right and bottom). Elements compare as
// two's complement when SIGNED, else unsigned (a BIPOLAR bit pools as unsigned: max = OR).
// Stream order in and out: for each of GROUPS channel groups, rows, columns, words of PE
// channels. One padded input cell per cycle (GROUPS*HP*WP*FOLDS cycles per frame); a window's
// maximum leaves with its last cell through one output register (latency 1 cycle).
// Partial maxima of the RING = ceil(K/S) output rows and columns a cell can belong to live in
// RING x RING banks (bank (oy % RING, ox % RING), address (ox / RING)*FOLDS + fold), each
// read asynchronously and written once per cycle (distributed RAM).
module qnnflow_maxpool #(
    parameter int H = 1,
    parameter int W = 1,
    parameter int K = 2,
    parameter int S = 2,
    parameter int TOP = 0,
    parameter int LEFT = 0,
    parameter int BOTTOM = 0,
    parameter int RIGHT = 0,
    parameter int C = 1,
    parameter int PE = 1,
    parameter int BITS = 1,
    parameter int SIGNED = 0,
    parameter int GROUPS = 1
) (
    input  logic               ap_clk,
    input  logic               ap_rst_n,
    input  logic [PE*BITS-1:0] in0_tdata,
    input  logic               in0_tvalid,
    output logic               in0_tready,
    output logic [PE*BITS-1:0] out0_tdata,
    output logic               out0_tvalid,
    input  logic               out0_tready
);
    localparam int HP = H + TOP + BOTTOM, WP = W + LEFT + RIGHT;
    localparam int OH = (HP - K) / S + 1, OW = (WP - K) / S + 1;
    localparam int FOLDS = C / GROUPS / PE;
    localparam int RING = (K + S - 1) / S;  // output rows (or columns) sharing a cell
    localparam int COLS = (OW + RING - 1) / RING;  // columns of one bank
    localparam int DEPTH = COLS * FOLDS;
    localparam int YB = $clog2(HP + 1), XB = $clog2(WP + 1), FB = $clog2(FOLDS + 1);
    localparam int SB = $clog2(S + 1), RB = $clog2(RING + 1);
    localparam int AB = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam int WIDTH = PE * BITS;

    // Position in the padded sub-frame: y = qy*S + sy, qy = (qy / RING)*RING + ry; likewise x
    // (col = (qx / RING)*FOLDS: a bank's address of the columns qx / RING).
    logic [YB-1:0] y, qy;
    logic [XB-1:0] x, qx;
    logic [AB:0] col;
    logic [SB-1:0] sy, sx;
    logic [RB-1:0] ry, rx;
    logic [FB-1:0] fold;
    logic in_frame, can_out, fire, emit;
    logic [WIDTH-1:0] value, min_word, done;

    // A word whose every element is the type's minimum: a pad never beats it.
    always_comb begin
        min_word = '0;
        for (int lane = 0; lane < PE; lane++) begin
            if (SIGNED != 0) min_word[lane*BITS+BITS-1] = 1'b1;
        end
    end

    assign in_frame = int'(y) >= TOP && int'(y) < TOP + H && int'(x) >= LEFT
        && int'(x) < LEFT + W;
    assign value = in_frame ? in0_tdata : min_word;
    assign can_out = !out0_tvalid || out0_tready;
    assign fire = (!in_frame || in0_tvalid) && (!emit || can_out);
    assign in0_tready = in_frame && (!emit || can_out);

    logic [RING*RING-1:0] bank_emit;
    logic [WIDTH-1:0] bank_value[RING*RING];

    for (genvar br = 0; br < RING; br++) begin : g_row
        for (genvar bc = 0; bc < RING; bc++) begin : g_col
            // The window (oy, ox) of this bank holding the cell: oy = qy - dr, ox = qx - dc.
            int dr, dc, oy, ox, drs, dcs;
            logic valid, first, last;
            logic [AB-1:0] addr;
            logic [WIDTH-1:0] stored, updated;
            (* ram_style = "distributed" *) logic [WIDTH-1:0] partial[DEPTH];

            always_comb begin
                dr = int'(ry) >= br ? int'(ry) - br : int'(ry) + RING - br;
                dc = int'(rx) >= bc ? int'(rx) - bc : int'(rx) + RING - bc;
                drs = 0;  // dr*S and dc*S without a multiplier
                dcs = 0;
                for (int d = 1; d < RING; d++) begin
                    if (dr == d) drs = d * S;
                    if (dc == d) dcs = d * S;
                end
                oy = int'(qy) - dr;
                ox = int'(qx) - dc;
                valid = oy >= 0 && oy < OH && int'(sy) + drs < K
                    && ox >= 0 && ox < OW && int'(sx) + dcs < K;
                first = dr == 0 && sy == '0 && dc == 0 && sx == '0;
                last = int'(sy) + drs == K - 1 && int'(sx) + dcs == K - 1;
                addr = AB'(int'(col) - (dc > int'(rx) ? FOLDS : 0) + int'(fold));
            end
            /* verilator lint_off WIDTHTRUNC */  // a one-word bank takes a 1-bit address
            assign stored = partial[addr];
            for (genvar lane = 0; lane < PE; lane++) begin : g_lane
                logic [BITS-1:0] a, b;
                logic a_wins;
                assign a = stored[lane*BITS+:BITS];
                assign b = value[lane*BITS+:BITS];
                assign a_wins = SIGNED != 0 ? $signed(a) >= $signed(b) : a >= b;
                assign updated[lane*BITS+:BITS] = first ? b : (a_wins ? a : b);
            end
            always_ff @(posedge ap_clk) begin
                if (fire && valid) partial[addr] <= updated;
            end
            /* verilator lint_on WIDTHTRUNC */
            assign bank_emit[br*RING+bc] = valid && last;
            assign bank_value[br*RING+bc] = updated;
        end
    end

    // A cell is the last of at most one window.
    always_comb begin
        done = '0;
        for (int b = 0; b < RING * RING; b++) begin
            if (bank_emit[b]) done = bank_value[b];
        end
    end
    assign emit = |bank_emit;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            {y, qy, sy, ry, x, qx, col, sx, rx, fold} <= '0;
            out0_tvalid <= 1'b0;
            out0_tdata <= '0;
        end else begin
            if (fire && emit) begin
                out0_tdata <= done;
                out0_tvalid <= 1'b1;
            end else if (out0_tready) begin
                out0_tvalid <= 1'b0;
            end
            if (fire) begin
                if (int'(fold) != FOLDS - 1) begin
                    fold <= fold + FB'(1);
                end else begin
                    fold <= '0;
                    if (int'(x) == WP - 1) begin
                        {x, qx, col, sx, rx} <= '0;
                        if (int'(y) == HP - 1) begin
                            {y, qy, sy, ry} <= '0;  // next channel group
                        end else begin
                            y <= y + YB'(1);
                            if (int'(sy) == S - 1) begin
                                sy <= '0;
                                qy <= qy + YB'(1);
                                ry <= int'(ry) == RING - 1 ? '0 : ry + RB'(1);
                            end else begin
                                sy <= sy + SB'(1);
                            end
                        end
                    end else begin
                        x <= x + XB'(1);
                        if (int'(sx) == S - 1) begin
                            sx <= '0;
                            qx <= qx + XB'(1);
                            if (int'(rx) == RING - 1) begin
                                rx <= '0;
                                col <= col + (AB + 1)'(FOLDS);
                            end else begin
                                rx <= rx + RB'(1);
                            end
                        end else begin
                            sx <= sx + SB'(1);
                        end
                    end
                end
            end
        end
    end
endmodule
