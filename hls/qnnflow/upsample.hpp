// Upsample: nearest-neighbour upscaling of an NHWC frame by FH x FW, words of SIMD channels.
// Output row r*FH reads input row r (each pixel's words written FW times) into a one-row
// buffer; rows r*FH+1 .. r*FH+FH-1 replay the buffer. One output word per cycle. A
// group-major input (GROUPS sub-frames of C/GROUPS channels) is upsampled sub-frame by
// sub-frame, so the output keeps the same order.
#pragma once

#include "qnnflow/compat.hpp"

namespace qnnflow {

template <unsigned H, unsigned W, unsigned FH, unsigned FW, unsigned C, unsigned SIMD,
          unsigned BITS, unsigned GROUPS>
void upsample_nearest(hls::stream<ap_uint<SIMD * BITS>> &in,
                      hls::stream<ap_uint<SIMD * BITS>> &out) {
    static_assert(FH >= 1 && FW >= 1, "factors must be at least 1");
    static_assert(C % GROUPS == 0 && (C / GROUPS) % SIMD == 0,
                  "SIMD must divide the channels of each channel group");
    constexpr unsigned FOLDS = C / GROUPS / SIMD;
    constexpr unsigned TOTAL = GROUPS * H * FH * W * FW * FOLDS;
    ap_uint<SIMD * BITS> row[W][FOLDS];  // written by a row's first copy before any replay
    // counters replace divisions: input pixel x, its copy dx, row copy dy, input row y
    unsigned y = 0, dy = 0, x = 0, dx = 0, fold = 0;
    for (unsigned i = 0; i < TOTAL; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        ap_uint<SIMD * BITS> word;
        if (dy == 0 && dx == 0) {
            word = in.read();
            row[x][fold] = word;
        } else {
            word = row[x][fold];
        }
        out.write(word);
        if (++fold == FOLDS) {
            fold = 0;
            if (++dx == FW) {
                dx = 0;
                if (++x == W) {
                    x = 0;
                    if (++dy == FH) {
                        dy = 0;
                        if (++y == H) y = 0;  // next channel group
                    }
                }
            }
        }
    }
}

}  // namespace qnnflow
