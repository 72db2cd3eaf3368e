// qnnflow_fifo: a first-word-fall-through FIFO of at least DEPTH words of WIDTH bits between
// two layers (StreamingFIFO; the RTL twin of hls/qnnflow/fifo.hpp). Words leave in the order
// they came, one per cycle in and out at full throughput.
//   DEPTH <= 32: LUT memory (ram_style "distributed") read asynchronously; the head word
//     is on out_tdata as soon as it is stored. Storage is max(DEPTH, 2) words so that a
//     depth-1 FIFO still moves a word every cycle. Latency: 1 cycle (in -> out_tvalid).
//   DEPTH > 32: block RAM (ram_style "block") read synchronously into a 2-word output
//     queue; the RAM is read ahead while the queue has room, counting the word leaving this
//     cycle. Holds DEPTH + 2 words. Latency: 2 cycles.
// in_tready depends only on registers (no path from out_tready).
module qnnflow_fifo #(
    parameter int WIDTH = 8,
    parameter int DEPTH = 2
) (
    input  logic             ap_clk,
    input  logic             ap_rst_n,
    input  logic [WIDTH-1:0] in0_tdata,
    input  logic             in0_tvalid,
    output logic             in0_tready,
    output logic [WIDTH-1:0] out0_tdata,
    output logic             out0_tvalid,
    input  logic             out0_tready
);
  generate
    if (DEPTH <= 32) begin : g_lut
      localparam int SLOTS = DEPTH < 2 ? 2 : DEPTH;
      localparam int AW = $clog2(SLOTS);
      (* ram_style = "distributed" *) logic [WIDTH-1:0] mem[SLOTS];
      logic [AW-1:0] wr_ptr, rd_ptr;
      logic [AW:0] count;
      wire push = in0_tvalid && in0_tready;
      wire pop = out0_tvalid && out0_tready;

      assign in0_tready = count != (AW + 1)'(SLOTS);
      assign out0_tvalid = count != '0;
      assign out0_tdata = mem[rd_ptr];

      always_ff @(posedge ap_clk) begin
        if (push) mem[wr_ptr] <= in0_tdata;
      end

      always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
          wr_ptr <= '0;
          rd_ptr <= '0;
          count <= '0;
        end else begin
          if (push) wr_ptr <= wr_ptr == AW'(SLOTS - 1) ? '0 : wr_ptr + 1'b1;
          if (pop) rd_ptr <= rd_ptr == AW'(SLOTS - 1) ? '0 : rd_ptr + 1'b1;
          count <= count + (AW + 1)'(push) - (AW + 1)'(pop);
        end
      end
    end else begin : g_bram
      localparam int AW = $clog2(DEPTH);
      (* ram_style = "block" *) logic [WIDTH-1:0] mem[DEPTH];
      logic [AW-1:0] wr_ptr, rd_ptr;
      logic [AW:0] ram_count;  // words in the RAM, not yet read out
      logic [WIDTH-1:0] rd_data;  // the RAM's read register
      logic fetched;  // rd_data holds a word read last cycle
      logic [WIDTH-1:0] queue[2];  // output queue: queue[0] is the head
      logic [1:0] queued;
      wire push = in0_tvalid && in0_tready;
      wire pop = out0_tvalid && out0_tready;
      // read ahead when the word lands in a free queue slot next cycle
      wire fetch = ram_count != '0 && ({1'b0, queued} + {2'b0, fetched}) < 3'd2 + {2'b0, pop};

      assign in0_tready = ram_count != (AW + 1)'(DEPTH);
      assign out0_tvalid = queued != 2'd0;
      assign out0_tdata = queue[0];

      always_ff @(posedge ap_clk) begin
        if (push) mem[wr_ptr] <= in0_tdata;
        if (fetch) rd_data <= mem[rd_ptr];
      end

      always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
          wr_ptr <= '0;
          rd_ptr <= '0;
          ram_count <= '0;
          fetched <= 1'b0;
          queued <= 2'd0;
        end else begin
          if (push) wr_ptr <= wr_ptr == AW'(DEPTH - 1) ? '0 : wr_ptr + 1'b1;
          if (fetch) rd_ptr <= rd_ptr == AW'(DEPTH - 1) ? '0 : rd_ptr + 1'b1;
          ram_count <= ram_count + (AW + 1)'(push) - (AW + 1)'(fetch);
          fetched <= fetch;
          queued <= queued + 2'(fetched) - 2'(pop);
        end
      end

      // the queue shifts on a pop; a fetched word lands in the first free slot after it
      always_ff @(posedge ap_clk) begin
        if (pop) queue[0] <= queue[1];
        if (fetched) begin
          if (queued - 2'(pop) == 2'd0) queue[0] <= rd_data;
          else queue[1] <= rd_data;
        end
      end
    end
  endgenerate
endmodule
