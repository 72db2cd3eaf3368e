// qnnflow_upsample: nearest-neighbour upscaling by FH x FW of a frame W pixels wide, FOLDS
// words of WIDTH bits per pixel, as upsample.hpp's upsample_nearest. Output row r*FH reads
// input row r (each pixel's FOLDS words sent FW times) into a one-row buffer of W*FOLDS
// words; output rows r*FH+1 .. r*FH+FH-1 replay the buffer. The number of rows does not
// matter (a channel-group-major frame is G sub-frames of H rows each: the same pattern).
// One output word per cycle, latency 1 cycle (the buffer is read synchronously into the
// output register, so it maps to block RAM when RAM_BLOCK=1, else to LUT RAM).
module qnnflow_upsample #(
    parameter WIDTH = 8,
    parameter W = 1,
    parameter FH = 2,
    parameter FW = 2,
    parameter FOLDS = 1,
    parameter RAM_BLOCK = 0
) (
    input  logic             ap_clk,
    input  logic             ap_rst_n,
    input  logic [WIDTH-1:0] in_tdata,
    input  logic             in_tvalid,
    output logic             in_tready,
    output logic [WIDTH-1:0] out_tdata,
    output logic             out_tvalid,
    input  logic             out_tready
);
  localparam DEPTH = W * FOLDS;
  localparam AB = DEPTH > 1 ? $clog2(DEPTH) : 1;  // buffer address bits
  localparam FB = $clog2(FOLDS + 1);
  localparam XB = $clog2(W + 1);
  localparam HB = $clog2(FH + 1);
  localparam WB = $clog2(FW + 1);

  // counters of the next output word: its word in the pixel, copy of the pixel, input pixel,
  // copy of the row; base = x * FOLDS, addr = base + fold
  logic [FB-1:0] fold;
  logic [WB-1:0] dx;
  logic [XB-1:0] x;
  logic [HB-1:0] dy;
  logic [AB-1:0] base, addr;
  logic replay, free, adv;
  logic from_buffer;  // the output register holds a buffer word (else an input word)
  logic [WIDTH-1:0] taken, replayed;

  assign replay = dy != '0 || dx != '0;
  assign free = !out_tvalid || out_tready;
  assign adv = free && (replay || in_tvalid);
  assign in_tready = free && !replay;
  assign out_tdata = from_buffer ? replayed : taken;

  if (RAM_BLOCK != 0) begin : g_bram
    (* ram_style = "block" *) logic [WIDTH-1:0] row[DEPTH];
    always_ff @(posedge ap_clk) begin
      if (adv && !replay) row[addr] <= in_tdata;
      if (adv && replay) replayed <= row[addr];
    end
  end else begin : g_lutram
    (* ram_style = "distributed" *) logic [WIDTH-1:0] row[DEPTH];
    always_ff @(posedge ap_clk) begin
      if (adv && !replay) row[addr] <= in_tdata;
      if (adv && replay) replayed <= row[addr];
    end
  end

  always_ff @(posedge ap_clk) begin
    if (adv && !replay) taken <= in_tdata;
    if (adv) from_buffer <= replay;
  end

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) out_tvalid <= 1'b0;
    else if (free) out_tvalid <= replay || in_tvalid;
  end

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      fold <= '0;
      dx <= '0;
      x <= '0;
      dy <= '0;
      base <= '0;
      addr <= '0;
    end else if (adv) begin
      if (fold != FB'(FOLDS - 1)) begin
        fold <= fold + 1'b1;
        addr <= addr + 1'b1;
      end else begin
        fold <= '0;
        if (dx != WB'(FW - 1)) begin
          dx <= dx + 1'b1;
          addr <= base;  // the same pixel again
        end else begin
          dx <= '0;
          if (x != XB'(W - 1)) begin
            x <= x + 1'b1;
            base <= base + AB'(FOLDS);
            addr <= base + AB'(FOLDS);
          end else begin
            x <= '0;
            base <= '0;
            addr <= '0;
            dy <= dy == HB'(FH - 1) ? '0 : dy + 1'b1;
          end
        end
      end
    end
  end
endmodule
