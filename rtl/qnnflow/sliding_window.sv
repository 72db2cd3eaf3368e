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

    localparam int AB = DEPTH > 1 ? $clog2(DEPTH) : 1, UB = $clog2(H * ROW + 1);
    localparam int TB = $clog2((WRITES > SH * ROW ? WRITES : SH * ROW) + 1);
    localparam int YB = $clog2(OH + 1), XB = $clog2(OW + 1), KB = $clog2(KH * KW * F + 1);

    // Addresses are kept as sums of counters (no multipliers): the window word of (oy, ox,
    // ky, kx, f) is at win_row + pixel + kxf with win_row = ((oy*SH + ky) % ROWS)*ROW,
    // pixel = ox*SW*F, kxf = kx*F + f; input words fill the buffer in address order.
    logic filling;  // reading the first KH rows of a frame
    logic [TB-1:0] t;  // cycle of the current block
    logic [UB-1:0] unread;  // input words of the frame not yet read
    logic [YB-1:0] oy;
    logic [XB-1:0] ox;
    logic [KB-1:0] ky, kxf;
    logic [AB-1:0] waddr, raddr, base_row, win_row, pixel;
    logic do_read, do_write, can_out, fire, fill_done, reads_done, block_done;

    assign raddr = win_row + pixel + AB'(kxf);
    assign do_read = filling || (int'(t) < SH * ROW && unread != '0);
    assign do_write = !filling && int'(t) < WRITES;
    assign can_out = !out0_tvalid || out0_tready;
    assign fire = (!do_read || in0_tvalid) && (!do_write || can_out);
    assign in0_tready = do_read && (!do_write || can_out);
    assign fill_done = filling && int'(unread) == (H - KH) * ROW + 1;
    // After this cycle the block reads no more: SH rows read or the frame exhausted.
    assign reads_done = int'(t) + 1 >= SH * ROW || int'(unread) == (do_read ? 1 : 0);
    assign block_done = !filling && int'(t) + 1 >= WRITES && reads_done;

    // The next row of the ring: a + ROW*n, wrapped at DEPTH.
    function automatic logic [AB-1:0] ring_add(input logic [AB-1:0] a, input integer n);
        if (int'(a) + n >= DEPTH) ring_add = AB'(int'(a) + n - DEPTH);
        else ring_add = AB'(int'(a) + n);
    endfunction

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
            unread <= UB'(H * ROW);
            {t, oy, ox, ky, kxf, waddr, base_row, win_row, pixel} <= '0;
            out0_tvalid <= 1'b0;
        end else begin
            if (fire && do_write) out0_tvalid <= 1'b1;
            else if (out0_tready) out0_tvalid <= 1'b0;
            if (fire) begin
                if (do_read) begin
                    unread <= unread - UB'(1);
                    waddr <= ring_add(waddr, 1);
                end
                if (do_write) begin
                    if (int'(kxf) != KW * F - 1) begin
                        kxf <= kxf + KB'(1);
                    end else begin
                        kxf <= '0;
                        if (int'(ky) != KH - 1) begin
                            ky <= ky + KB'(1);
                            win_row <= ring_add(win_row, ROW);
                        end else begin
                            ky <= '0;
                            win_row <= base_row;
                            ox <= ox + XB'(1);
                            pixel <= pixel + AB'(SW * F);
                        end
                    end
                end
                t <= t + TB'(1);
                if (fill_done) begin
                    filling <= 1'b0;
                    t <= '0;
                end
                if (block_done) begin
                    t <= '0;
                    ox <= '0;
                    pixel <= '0;
                    oy <= oy + YB'(1);
                    base_row <= ring_add(base_row, SH * ROW);
                    win_row <= ring_add(base_row, SH * ROW);
                    if (int'(oy) == OH - 1) begin  // frame done: the next one fills from 0
                        filling <= 1'b1;
                        unread <= UB'(H * ROW);
                        {oy, waddr, base_row, win_row} <= '0;
                    end
                end
            end
        end
    end
endmodule
