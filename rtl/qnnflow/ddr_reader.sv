// qnnflow_ddr_reader: the DDR half of a stream_ddr MatrixVectorUnit (hls/qnnflow/ddr_weights.hpp).
// An AXI4 read master (64-bit data, INCR bursts of at most 256 beats that never cross a 4 KiB
// boundary, at most MAX_OUTSTANDING bursts in flight, ARID 0 so data returns in order) reads
// the layer's image of WORDS slice words, LIMBS = ceil(WORD_BITS/64) beats each, from `base`
// (8-byte aligned), and starts over at `base` as soon as the last burst of a frame is issued,
// so it reads the image once per frame for as long as the kernel consumes it.
// Stream order: slice word k of the image is beats k*LIMBS .. k*LIMBS+LIMBS-1, the first beat
// lowest (params.ddr_image's layout); the word's bits above WORD_BITS (padding) are dropped.
// Read-ahead: the words wait in a FIFO of DEPTH words plus the output word (at least the HLS
// stream's depth, MW/SIMD), so the next channel group's words arrive while the kernel
// computes the current one. A burst is requested only when the FIFO has room for all of it
// (bursts shrink to the room), so rready stays high and a stalled kernel never holds the
// shared DDR port. Its memory is read synchronously (RAM_STYLE "block" or "distributed").
// Latency: a slice word reaches out_tdata 2 cycles after its last beat's R handshake; the
// first word of a frame needs the slave's AR->R latency more.
module qnnflow_ddr_reader #(
    parameter int WORDS = 1,            // slice words per frame
    parameter int WORD_BITS = 64,       // bits of one slice word (PE*SIMD*W_BITS)
    parameter int DEPTH = 2,            // read-ahead FIFO depth in slice words (>= 2)
    parameter int MAX_OUTSTANDING = 2,  // AXI bursts in flight
    /* verilator lint_off UNUSEDPARAM */  // read by synthesis through the attribute
    parameter RAM_STYLE = "distributed"
    /* verilator lint_on UNUSEDPARAM */
) (
    input  logic                 ap_clk,
    input  logic                 ap_rst_n,
    input  logic [31:0]          base,
    // AXI4 read address channel
    output logic [31:0]          m_axi_araddr,
    output logic [7:0]           m_axi_arlen,
    output logic [2:0]           m_axi_arsize,
    output logic [1:0]           m_axi_arburst,
    output logic                 m_axi_arvalid,
    input  logic                 m_axi_arready,
    // AXI4 read data channel
    input  logic [63:0]          m_axi_rdata,
    input  logic [1:0]           m_axi_rresp,
    input  logic                 m_axi_rlast,
    input  logic                 m_axi_rvalid,
    output logic                 m_axi_rready,
    // slice words
    output logic [WORD_BITS-1:0] out_tdata,
    output logic                 out_tvalid,
    input  logic                 out_tready
);
    localparam int LIMBS = (WORD_BITS + 63) / 64;
    localparam int BEATS = WORDS * LIMBS;  // per frame
    localparam int AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam int OW = $clog2(MAX_OUTSTANDING + 1) + 1;
    localparam int LW = LIMBS > 1 ? $clog2(LIMBS) : 1;

    // Data-side state the address side reads (declared with the FIFO below).
    logic [AW:0] count;
    logic [LW-1:0] limb;
    logic beat;

    // ---- address side: an endless walk over the image, one burst per AR handshake ----
    // A burst is offered only when the FIFO has room for all its beats and every beat still
    // in flight (credits), so rready never needs to drop: a full FIFO never holds the bus.
    logic [31:0] addr;       // byte address of the next burst
    logic [31:0] left;       // beats of this frame not yet requested
    logic [31:0] inflight;   // beats requested but not yet received
    logic [31:0] free;       // FIFO beats neither filled nor promised to a burst
    logic [31:0] burst;      // beats of the next burst
    logic [OW-1:0] pending;  // bursts requested whose last beat has not arrived
    logic ar_fire, last_fire, started;

    assign free = 32'(DEPTH - int'(count)) * LIMBS - 32'(limb) - inflight;
    always_comb begin
        burst = left;
        if (burst > 32'd256) burst = 32'd256;
        if (burst > 32'd512 - 32'(addr[11:3])) burst = 32'd512 - 32'(addr[11:3]);  // 4 KiB
        if (burst > free) burst = free;
    end
    assign m_axi_araddr = addr;
    assign m_axi_arsize = 3'd3;   // 8 bytes a beat
    assign m_axi_arburst = 2'b01; // INCR
    assign ar_fire = m_axi_arvalid && m_axi_arready;
    assign last_fire = m_axi_rvalid && m_axi_rready && m_axi_rlast;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            started <= 1'b0;  // the first frame's walk begins one cycle after reset
            m_axi_arvalid <= 1'b0;
            m_axi_arlen <= '0;
            addr <= '0;
            left <= '0;
            inflight <= '0;
            pending <= '0;
        end else begin
            pending <= pending + OW'(ar_fire) - OW'(last_fire);
            inflight <= inflight + (ar_fire ? 32'(m_axi_arlen) + 1 : 0) - 32'(beat);
            if (!started || (ar_fire && left == 32'(m_axi_arlen) + 1)) begin  // (re)start
                started <= 1'b1;
                addr <= base;
                left <= 32'(BEATS);
            end else if (ar_fire) begin
                addr <= addr + ((32'(m_axi_arlen) + 1) << 3);
                left <= left - (32'(m_axi_arlen) + 1);
            end
            // The offer (address and length held until taken) is made from registered state
            // one cycle after the previous handshake.
            if (ar_fire) begin
                m_axi_arvalid <= 1'b0;
            end else if (!m_axi_arvalid && started && pending < OW'(MAX_OUTSTANDING)
                         && burst != 0) begin
                m_axi_arvalid <= 1'b1;
                m_axi_arlen <= 8'(burst - 1);
            end
        end
    end

    // ---- data side: LIMBS beats -> one slice word -> the read-ahead FIFO ----
    // The FIFO: DEPTH words in a memory read synchronously (so it can be block RAM), whose
    // read register is the output word; a word is visible two cycles after its last beat.
    /* verilator lint_off UNUSEDSIGNAL */  // its lowest beat is shifted out unread
    logic [LIMBS*64-1:0] gather;  // beats shift in from the top, so the first ends lowest
    /* verilator lint_on UNUSEDSIGNAL */
    // count: words in the memory (the output word not counted); limb: beats gathered
    logic [AW-1:0] wr_ptr, rd_ptr;
    logic push, pop, read;
    logic [LIMBS*64-1:0] word_in;
    (* ram_style = RAM_STYLE *) logic [WORD_BITS-1:0] fifo [DEPTH];

    generate
        if (LIMBS == 1) begin : g_one
            assign word_in = m_axi_rdata;
        end else begin : g_many
            assign word_in = {m_axi_rdata, gather[LIMBS*64-1:64]};
        end
    endgenerate
    // Credits keep a slot for every beat; the guard only restates that (never the slot
    // being read is written).
    assign m_axi_rready = count != (AW + 1)'(DEPTH) || limb != LW'(LIMBS - 1);
    assign beat = m_axi_rvalid && m_axi_rready;
    assign push = beat && limb == LW'(LIMBS - 1);
    assign pop = out_tvalid && out_tready;
    assign read = count != '0 && (!out_tvalid || out_tready);  // refill the output word

    always_ff @(posedge ap_clk) begin
        if (push) fifo[wr_ptr] <= word_in[WORD_BITS-1:0];
        if (read) out_tdata <= fifo[rd_ptr];
    end
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            limb <= '0;
            count <= '0;
            wr_ptr <= '0;
            rd_ptr <= '0;
            gather <= '0;
            out_tvalid <= 1'b0;
        end else begin
            if (beat) begin
                gather <= word_in;
                limb <= limb == LW'(LIMBS - 1) ? '0 : limb + 1'b1;
            end
            if (push) wr_ptr <= wr_ptr == AW'(DEPTH - 1) ? '0 : wr_ptr + 1'b1;
            if (read) rd_ptr <= rd_ptr == AW'(DEPTH - 1) ? '0 : rd_ptr + 1'b1;
            count <= count + (AW + 1)'(push) - (AW + 1)'(read);
            if (read) out_tvalid <= 1'b1;
            else if (pop) out_tvalid <= 1'b0;
        end
    end

    // rresp is not checked: a failed read has no recovery here; the host sees wrong outputs.
    logic unused;
    assign unused = ^{m_axi_rresp, 1'b0};
endmodule
