// qnnflow_window_ram: simple dual-port RAM for the window generators: one synchronous write
// port and one synchronous read port with a read enable (q holds its word while ren is low,
// so a stalled output keeps its data). Latency 1 cycle. A read of the address written in
// the same cycle returns the old word (the kernels never do it). STYLE: "block" |
// "distributed" (ram_style for Vivado and Yosys).
module qnnflow_window_ram #(
    parameter int WIDTH = 8,
    parameter int DEPTH = 2,
    /* verilator lint_off UNUSEDPARAM */  // STYLE only feeds the attribute
    parameter STYLE = "block"
    /* verilator lint_on UNUSEDPARAM */
) (
    input  logic                     clk,
    input  logic                     we,
    input  logic [(DEPTH > 1 ? $clog2(DEPTH) : 1)-1:0] waddr,
    input  logic [        WIDTH-1:0] wdata,
    input  logic                     ren,
    input  logic [(DEPTH > 1 ? $clog2(DEPTH) : 1)-1:0] raddr,
    output logic [        WIDTH-1:0] q
);
    (* ram_style = STYLE *) logic [WIDTH-1:0] mem[DEPTH > 1 ? DEPTH : 2];

    always_ff @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
        if (ren) q <= mem[raddr];
    end
endmodule
