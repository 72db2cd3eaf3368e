/* verilator lint_off DECLFILENAME */
// qnnflow_sliding_window: one KH x KW window of C channels per output pixel, elements
// ordered (ky, kx, c), streamed in words of SIMD channels (hls/qnnflow/sliding_window.hpp,
// sliding_window; no padding: a ZeroPad comes first). Stream order in: NHWC words of SIMD
// channels; out: oy, ox, ky, kx, channel word f.
// Schedule (the HLS kernel's, cycle for cycle): a line buffer of KH + SH rows of W*F words
// (F = C/SIMD); first KH rows are read; then for each output row one block of
// max(OW*KH*KW*F, rows*W*F) cycles writes that row's windows while reading the next SH input
// rows (fewer at the bottom) into the other SH rows, so reads and writes never touch the
// same row. Cycles per frame = KH*W*F + sum over blocks (op's cycles()); latency 1 cycle
// from the last needed input word (one RAM read stage, which is also the output register).
module qnnflow_sliding_window #(
    parameter int H = 1,
    parameter int W = 1,
    parameter int KH = 1,
    parameter int KW = 1,
    parameter int SH = 1,
    parameter int SW = 1,
    parameter int C = 1,
    parameter int SIMD = 1,
    parameter int BITS = 1,
    parameter RAM_STYLE = "block"
) (
    input  logic                 ap_clk,
    input  logic                 ap_rst_n,
    input  logic [SIMD*BITS-1:0] in0_tdata,
    input  logic                 in0_tvalid,
    output logic                 in0_tready,
    output logic [SIMD*BITS-1:0] out0_tdata,
    output logic                 out0_tvalid,
    input  logic                 out0_tready
);
    localparam int F = C / SIMD, ROW = W * F, ROWS = KH + SH, DEPTH = ROWS * ROW;
    localparam int OH = (H - KH) / SH + 1, OW = (W - KW) / SW + 1;
    localparam int WRITES = OW * KH * KW * F;  // words of one output row
    localparam int AB = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam int TB = $clog2((WRITES > SH * ROW ? WRITES : SH * ROW) + 1);
    localparam int HB = $clog2(H + 1), RB = $clog2(ROWS + 1), OB = $clog2(ROW + 1);

    logic filling;  // reading the first KH rows of a frame
    logic [TB-1:0] t;  // cycle of the current block
    logic [HB-1:0] next_row, oy;  // next input row to read; output row of the block
    logic [RB-1:0] read_slot, base_slot, ky;  // base_slot = (oy*SH) % ROWS
    logic [OB-1:0] read_offset, ox, kx, f;
    int rows, reads, length, slot;
    logic do_read, do_write, can_out, fire, fill_done, block_done;
    logic [AB-1:0] waddr, raddr;

    always_comb begin
        rows = H - int'(next_row) < SH ? H - int'(next_row) : SH;
        reads = rows * ROW;
        length = reads > WRITES ? reads : WRITES;
        slot = int'(base_slot) + int'(ky);
        if (slot >= ROWS) slot = slot - ROWS;
        raddr = AB'(slot * ROW + (int'(ox) * SW + int'(kx)) * F + int'(f));
        waddr = AB'(int'(read_slot) * ROW + int'(read_offset));
    end
    assign do_read = filling || int'(t) < reads;
    assign do_write = !filling && int'(t) < WRITES;
    assign can_out = !out0_tvalid || out0_tready;
    assign fire = (!do_read || in0_tvalid) && (!do_write || can_out);
    assign in0_tready = do_read && (!do_write || can_out);
    assign fill_done = filling && int'(read_slot) == KH - 1 && int'(read_offset) == ROW - 1;
    assign block_done = !filling && int'(t) == length - 1;

    qnnflow_window_ram #(
        .WIDTH(SIMD * BITS),
        .DEPTH(DEPTH),
        .STYLE(RAM_STYLE)
    ) buffer (
        .clk(ap_clk),
        .we(fire && do_read),
        .waddr(waddr),
        .wdata(in0_tdata),
        .ren(fire && do_write),
        .raddr(raddr),
        .q(out0_tdata)
    );

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            filling <= 1'b1;
            {t, next_row, oy, read_slot, base_slot, ky, read_offset, ox, kx, f} <= '0;
            out0_tvalid <= 1'b0;
        end else begin
            if (fire && do_write) out0_tvalid <= 1'b1;
            else if (out0_tready) out0_tvalid <= 1'b0;
            if (fire) begin
                if (do_read) begin
                    if (int'(read_offset) == ROW - 1) begin
                        read_offset <= '0;
                        read_slot <= int'(read_slot) == ROWS - 1 ? '0 : read_slot + RB'(1);
                    end else begin
                        read_offset <= read_offset + OB'(1);
                    end
                end
                if (do_write) begin
                    if (int'(f) != F - 1) begin
                        f <= f + OB'(1);
                    end else begin
                        f <= '0;
                        if (int'(kx) != KW - 1) begin
                            kx <= kx + OB'(1);
                        end else begin
                            kx <= '0;
                            if (int'(ky) != KH - 1) begin
                                ky <= ky + RB'(1);
                            end else begin
                                ky <= '0;
                                ox <= ox + OB'(1);
                            end
                        end
                    end
                end
                t <= t + TB'(1);
                if (fill_done) begin
                    filling <= 1'b0;
                    t <= '0;
                    next_row <= HB'(KH);
                end
                if (block_done) begin
                    t <= '0;
                    ox <= '0;
                    next_row <= next_row + HB'(rows);
                    base_slot <= int'(base_slot) + SH >= ROWS ? RB'(int'(base_slot) + SH - ROWS)
                        : RB'(int'(base_slot) + SH);
                    oy <= oy + HB'(1);
                    if (int'(oy) == OH - 1) begin  // frame done: the next one fills slot 0 on
                        filling <= 1'b1;
                        {oy, base_slot, read_slot, read_offset} <= '0;
                    end
                end
            end
        end
    end
endmodule
