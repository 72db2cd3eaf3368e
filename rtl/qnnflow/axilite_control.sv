// qnnflow_axilite_control: the AXI4-Lite control slave of a stitched top with DDR weight
// ports, with Vitis HLS's register map so the driver does not know which backend made the
// accelerator: 0x00 CTRL (bit 0 ap_start, 1 ap_done, 2 ap_idle, 3 ap_ready, 7
// auto_restart), 0x04 GIE, 0x08 IER, 0x0C ISR, then per DDR port k the byte address of its
// image at 0x10 + 12k (low word, `<port>_1`) and 0x14 + 12k (high word, `<port>_2`, kept
// but unused: addresses are 32 bits). Writing ap_start = 1 sets `running`, which stays set
// until reset (the dataflow layers run frame after frame, as the HLS top in auto-restart
// mode); ap_start reads back 1 and ap_idle 0 from then on; ap_done and the interrupt stay 0.
// Write: AW and W are taken together, B answers one cycle later. Read: R one cycle after AR.
/* verilator lint_off DECLFILENAME */
/* verilator lint_off SYMRSVDWORD */
module qnnflow_axilite_control #(
    parameter int PORTS = 1,
    parameter int ADDR_BITS = 6
) (
    input  logic                  ap_clk,
    input  logic                  ap_rst_n,
    input  logic [ADDR_BITS-1:0]  s_axi_control_awaddr,
    input  logic                  s_axi_control_awvalid,
    output logic                  s_axi_control_awready,
    input  logic [31:0]           s_axi_control_wdata,
    input  logic [3:0]            s_axi_control_wstrb,
    input  logic                  s_axi_control_wvalid,
    output logic                  s_axi_control_wready,
    output logic [1:0]            s_axi_control_bresp,
    output logic                  s_axi_control_bvalid,
    input  logic                  s_axi_control_bready,
    input  logic [ADDR_BITS-1:0]  s_axi_control_araddr,
    input  logic                  s_axi_control_arvalid,
    output logic                  s_axi_control_arready,
    output logic [31:0]           s_axi_control_rdata,
    output logic [1:0]            s_axi_control_rresp,
    output logic                  s_axi_control_rvalid,
    input  logic                  s_axi_control_rready,
    output logic                  interrupt,
    output logic [PORTS*32-1:0]   bases,
    output logic                  running
);
  logic [31:0] low[PORTS], high[PORTS];
  logic auto_restart, gie;
  logic [1:0] ier;
  wire write = s_axi_control_awvalid && s_axi_control_wvalid && !s_axi_control_bvalid;
  wire read = s_axi_control_arvalid && !s_axi_control_rvalid;

  assign s_axi_control_awready = write;
  assign s_axi_control_wready = write;
  assign s_axi_control_arready = read;
  assign s_axi_control_bresp = 2'b00;
  assign s_axi_control_rresp = 2'b00;
  assign interrupt = 1'b0;

  function automatic logic [31:0] merged(logic [31:0] old, logic [31:0] data, logic [3:0] strb);
    for (int b = 0; b < 4; b++) if (strb[b]) old[b*8+:8] = data[b*8+:8];
    return old;
  endfunction

  function automatic logic [31:0] value_at(logic [ADDR_BITS-1:0] addr);
    logic [31:0] value = '0;
    if (addr == ADDR_BITS'(0)) value = {24'b0, auto_restart, 4'b0000, !running, 1'b0, running};
    if (addr == ADDR_BITS'(4)) value = 32'(gie);
    if (addr == ADDR_BITS'(8)) value = 32'(ier);
    for (int k = 0; k < PORTS; k++) begin
      if (addr == ADDR_BITS'(16 + 12 * k)) value = low[k];
      if (addr == ADDR_BITS'(20 + 12 * k)) value = high[k];
    end
    return value;
  endfunction

  for (genvar k = 0; k < PORTS; k++) begin : g_base
    assign bases[k*32+:32] = low[k];
  end

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      running <= 1'b0;
      auto_restart <= 1'b0;
      gie <= 1'b0;
      ier <= 2'b00;
      s_axi_control_bvalid <= 1'b0;
      s_axi_control_rvalid <= 1'b0;
      s_axi_control_rdata <= '0;
      for (int k = 0; k < PORTS; k++) begin
        low[k] <= '0;
        high[k] <= '0;
      end
    end else begin
      if (write) begin
        s_axi_control_bvalid <= 1'b1;
        if (s_axi_control_awaddr == ADDR_BITS'(0) && s_axi_control_wstrb[0]) begin
          if (s_axi_control_wdata[0]) running <= 1'b1;
          auto_restart <= s_axi_control_wdata[7];
        end
        if (s_axi_control_awaddr == ADDR_BITS'(4) && s_axi_control_wstrb[0])
          gie <= s_axi_control_wdata[0];
        if (s_axi_control_awaddr == ADDR_BITS'(8) && s_axi_control_wstrb[0])
          ier <= s_axi_control_wdata[1:0];
        for (int k = 0; k < PORTS; k++) begin
          if (s_axi_control_awaddr == ADDR_BITS'(16 + 12 * k))
            low[k] <= merged(low[k], s_axi_control_wdata, s_axi_control_wstrb);
          if (s_axi_control_awaddr == ADDR_BITS'(20 + 12 * k))
            high[k] <= merged(high[k], s_axi_control_wdata, s_axi_control_wstrb);
        end
      end else if (s_axi_control_bready) begin
        s_axi_control_bvalid <= 1'b0;
      end
      if (read) begin
        s_axi_control_rvalid <= 1'b1;
        s_axi_control_rdata <= value_at(s_axi_control_araddr);
      end else if (s_axi_control_rready) begin
        s_axi_control_rvalid <= 1'b0;
      end
    end
  end
endmodule
