// qnnflow_axi_read_slave: simulation-only DDR model for one m_axi port of a layer (the
// layer's weight image, 64-bit words from $readmemh(IMAGE_FILE) at byte address BASE). It
// takes up to QUEUE read bursts (INCR, 8-byte beats) and returns them in order, LATENCY
// cycles after the address at the earliest, with rlast on each burst's last beat and rresp
// OKAY. With gap > 0 (the chance of an idle cycle, in 1/65536; inputs, so the testbench's
// +gap and +seed apply without a rebuild) an xorshift generator seeded from `seed` at reset
// leaves rvalid low on random cycles; a beat once offered stays until taken (AXI).
// It ends the simulation with a "qnnflow_tb error" line (which layer_sim raises) on a request
// the contract forbids: a burst that is not INCR of 8-byte beats, crosses 4 KiB, or reads
// outside the image.
module qnnflow_axi_read_slave #(
    parameter int WORDS = 1,            // 64-bit words of the image
    parameter IMAGE_FILE = "",
    parameter logic [31:0] BASE = 32'h1000_0000,
    parameter int LATENCY = 4,
    parameter int QUEUE = 8
) (
    input  logic        ap_clk,
    input  logic        ap_rst_n,
    input  logic [31:0] gap,            // idle-cycle chance x 65536
    input  logic [31:0] seed,
    input  logic [31:0] araddr,
    input  logic [7:0]  arlen,
    input  logic [2:0]  arsize,
    input  logic [1:0]  arburst,
    input  logic        arvalid,
    output logic        arready,
    output logic [63:0] rdata,
    output logic [1:0]  rresp,
    output logic        rlast,
    output logic        rvalid,
    input  logic        rready
);
    logic [63:0] mem [WORDS];
    initial $readmemh(IMAGE_FILE, mem);

    localparam int QW = $clog2(QUEUE);
    logic [31:0] q_addr [QUEUE];
    logic [7:0] q_len [QUEUE];
    logic [31:0] q_time [QUEUE];  // the cycle its address arrived
    logic [QW:0] q_count;
    logic [QW-1:0] q_head, q_tail;
    logic [31:0] now, rng;
    logic [7:0] beat;  // beats of the head burst already sent
    logic idle;

    assign arready = q_count != (QW + 1)'(QUEUE);
    assign rresp = 2'b00;
    assign idle = {16'b0, rng[15:0]} < gap;
    // The head burst's next beat (the index is checked when the address is taken).
    logic [31:0] index;
    assign index = (q_addr[q_head] - BASE) / 8 + 32'(beat);
    assign rdata = rvalid ? mem[index] : 64'b0;
    assign rlast = rvalid && beat == q_len[q_head];

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            q_count <= '0;
            q_head <= '0;
            q_tail <= '0;
            now <= '0;
            rng <= (seed * 32'd2654435761 + 32'd977) | 32'd1;  // xorshift needs nonzero
            beat <= '0;
            rvalid <= 1'b0;
        end else begin
            now <= now + 1;
            rng <= next(rng);
            if (arvalid && arready) begin
                if (arburst != 2'b01 || arsize != 3'd3) begin
                    $display("qnnflow_tb error DDR model: burst %0d / size %0d is not INCR of 8 bytes",
                             arburst, arsize);
                    $finish;
                end
                if ({20'b0, araddr[11:0]} + (32'(arlen) + 1) * 8 > 32'h1000) begin
                    $display("qnnflow_tb error DDR model: burst at %h of %0d beats crosses 4 KiB",
                             araddr, arlen + 1);
                    $finish;
                end
                if (araddr < BASE || araddr[2:0] != 3'b0
                        || (araddr - BASE) / 8 + 32'(arlen) >= 32'(WORDS)) begin
                    $display("qnnflow_tb error DDR model: burst at %h of %0d beats is outside the image",
                             araddr, arlen + 1);
                    $finish;
                end
                q_addr[q_tail] <= araddr;
                q_len[q_tail] <= arlen;
                q_time[q_tail] <= now;
                q_tail <= q_tail == QW'(QUEUE - 1) ? '0 : q_tail + 1'b1;
            end
            if (rvalid && rready) begin
                rvalid <= 1'b0;
                if (rlast) begin
                    beat <= '0;
                    q_head <= q_head == QW'(QUEUE - 1) ? '0 : q_head + 1'b1;
                end else begin
                    beat <= beat + 1'b1;
                end
            end
            q_count <= q_count + (QW + 1)'(arvalid && arready)
                       - (QW + 1)'(rvalid && rready && rlast);
            // Offer the next beat: a burst is waiting, its latency has passed, no gap.
            if (!(rvalid && !rready)) begin
                rvalid <= next_beat_ready() && !idle;
            end
        end
    end

    // Whether a beat can go out next cycle (the one just taken does not count).
    function automatic logic next_beat_ready();
        logic [QW:0] left;
        logic [QW-1:0] head;
        left = q_count - (QW + 1)'(rvalid && rready && rlast);
        head = (rvalid && rready && rlast) ? (q_head == QW'(QUEUE - 1) ? '0 : q_head + 1'b1)
                                           : q_head;
        return left != '0 && now - q_time[head] >= 32'(LATENCY);
    endfunction

    function automatic logic [31:0] next(input logic [31:0] x);  // xorshift32
        logic [31:0] y;
        y = x ^ (x << 13);
        y = y ^ (y >> 17);
        return y ^ (y << 5);
    endfunction
endmodule
