// qnnflow_axilite_control: the stitched accelerator's AXI4-Lite control slave, with the
// register map the host driver uses for the HLS top (Vitis HLS' block-level control):
//   0x00 CTRL  bit 0 ap_start (write 1; stays set with bit 7 auto_restart), bit 2 ap_idle
//              (read: not started yet), bit 7 auto_restart
//   0x10 + 8*i the 32-bit DDR byte address of weight port i (mem_mode stream_ddr readers)
// `started` rises on the first write of ap_start and stays high: the DDR readers wait for it,
// so they never fetch from an address the driver has not written yet. The dataflow itself
// runs free (its streams carry the frames). One write and one read in flight, OKAY
// responses only; unmapped reads return 0, unmapped writes are ignored.
module qnnflow_axilite_control #(
    parameter int PORTS = 1,  // weight address registers (at least 1 keeps the ports legal)
    parameter int ADDR_BITS = 6
) (
    input  logic                   ap_clk,
    input  logic                   ap_rst_n,
    input  logic [ADDR_BITS-1:0]   s_axi_control_awaddr,
    input  logic                   s_axi_control_awvalid,
    output logic                   s_axi_control_awready,
    input  logic [31:0]            s_axi_control_wdata,
    input  logic [3:0]             s_axi_control_wstrb,
    input  logic                   s_axi_control_wvalid,
    output logic                   s_axi_control_wready,
    output logic [1:0]             s_axi_control_bresp,
    output logic                   s_axi_control_bvalid,
    input  logic                   s_axi_control_bready,
    input  logic [ADDR_BITS-1:0]   s_axi_control_araddr,
    input  logic                   s_axi_control_arvalid,
    output logic                   s_axi_control_arready,
    output logic [31:0]            s_axi_control_rdata,
    output logic [1:0]             s_axi_control_rresp,
    output logic                   s_axi_control_rvalid,
    input  logic                   s_axi_control_rready,
    output logic                   started,
    output logic [32*PORTS-1:0]    base_addresses
);
  logic auto_restart;
  logic have_aw, have_w;
  logic [ADDR_BITS-1:0] aw_addr;
  logic [31:0] w_data;
  logic [3:0] w_strb;

  assign s_axi_control_awready = !have_aw && !s_axi_control_bvalid;
  assign s_axi_control_wready = !have_w && !s_axi_control_bvalid;
  assign s_axi_control_bresp = 2'b00;
  assign s_axi_control_rresp = 2'b00;
  assign s_axi_control_arready = !s_axi_control_rvalid;

  function automatic logic [31:0] merge(input logic [31:0] old, input logic [31:0] data,
                                        input logic [3:0] strb);
    for (int b = 0; b < 4; b++) if (strb[b]) old[8*b +: 8] = data[8*b +: 8];
    merge = old;
  endfunction

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      have_aw <= 1'b0;
      have_w <= 1'b0;
      s_axi_control_bvalid <= 1'b0;
      started <= 1'b0;
      auto_restart <= 1'b0;
      base_addresses <= '0;
    end else begin
      if (s_axi_control_awvalid && s_axi_control_awready) begin
        have_aw <= 1'b1;
        aw_addr <= s_axi_control_awaddr;
      end
      if (s_axi_control_wvalid && s_axi_control_wready) begin
        have_w <= 1'b1;
        w_data <= s_axi_control_wdata;
        w_strb <= s_axi_control_wstrb;
      end
      if (have_aw && have_w) begin  // both halves of the write arrived: apply, respond
        have_aw <= 1'b0;
        have_w <= 1'b0;
        s_axi_control_bvalid <= 1'b1;
        if (aw_addr == '0 && w_strb[0]) begin
          if (w_data[0]) started <= 1'b1;
          auto_restart <= w_data[7];
        end
        for (int i = 0; i < PORTS; i++) begin
          if (aw_addr == ADDR_BITS'(16 + 8 * i))
            base_addresses[32*i +: 32] <= merge(base_addresses[32*i +: 32], w_data, w_strb);
        end
      end
      if (s_axi_control_bvalid && s_axi_control_bready) s_axi_control_bvalid <= 1'b0;
    end
  end

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      s_axi_control_rvalid <= 1'b0;
      s_axi_control_rdata <= '0;
    end else if (s_axi_control_arvalid && s_axi_control_arready) begin
      s_axi_control_rvalid <= 1'b1;
      s_axi_control_rdata <= '0;
      if (s_axi_control_araddr == '0)
        s_axi_control_rdata <= {24'd0, auto_restart, 4'd0, !started, 1'b0, started};
      for (int i = 0; i < PORTS; i++) begin
        if (s_axi_control_araddr == ADDR_BITS'(16 + 8 * i))
          s_axi_control_rdata <= base_addresses[32*i +: 32];
      end
    end else if (s_axi_control_rvalid && s_axi_control_rready) begin
      s_axi_control_rvalid <= 1'b0;
    end
  end
endmodule
