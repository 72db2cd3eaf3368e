// qnnflow_zero_pad: inserts zero pixels around an NHWC frame streamed in words of SIMD
// channels (hls/qnnflow/pad.hpp). A group-major input (GROUPS sub-frames of C/GROUPS
// channels, behind a DDR-streamed MVU) is padded sub-frame by sub-frame, so the output keeps
// the same group-major order. Stream order: for each group, padded rows y, columns x, words
// of SIMD channels. One output word per cycle (GROUPS*OH*OW*C/GROUPS/SIMD cycles per frame);
// latency 1 cycle (one output register; in0_tready = out0_tready through one gate).
module qnnflow_zero_pad #(
    parameter int H = 1,
    parameter int W = 1,
    parameter int TOP = 0,
    parameter int LEFT = 0,
    parameter int BOTTOM = 0,
    parameter int RIGHT = 0,
    parameter int C = 1,
    parameter int SIMD = 1,
    parameter int BITS = 1,
    parameter int GROUPS = 1
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
    localparam int OH = H + TOP + BOTTOM, OW = W + LEFT + RIGHT;
    localparam int FOLDS = C / GROUPS / SIMD;  // words per pixel of one group
    localparam int YB = $clog2(OH + 1), XB = $clog2(OW + 1), FB = $clog2(FOLDS + 1);

    logic [YB-1:0] y;
    logic [XB-1:0] x;
    logic [FB-1:0] fold;
    logic in_frame, can_out, fire;

    assign in_frame = int'(y) >= TOP && int'(y) < TOP + H && int'(x) >= LEFT && int'(x) < LEFT + W;
    assign can_out = !out0_tvalid || out0_tready;
    assign fire = can_out && (!in_frame || in0_tvalid);
    assign in0_tready = can_out && in_frame;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            y <= '0;
            x <= '0;
            fold <= '0;
            out0_tvalid <= 1'b0;
            out0_tdata <= '0;
        end else if (fire) begin
            out0_tdata <= in_frame ? in0_tdata : '0;
            out0_tvalid <= 1'b1;
            if (int'(fold) == FOLDS - 1) begin
                fold <= '0;
                if (int'(x) == OW - 1) begin
                    x <= '0;
                    y <= int'(y) == OH - 1 ? '0 : y + YB'(1);  // next channel group
                end else begin
                    x <= x + XB'(1);
                end
            end else begin
                fold <= fold + FB'(1);
            end
        end else if (out0_tready) begin
            out0_tvalid <= 1'b0;
        end
    end
endmodule
