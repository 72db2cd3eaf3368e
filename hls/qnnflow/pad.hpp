// ZeroPad: inserts zero pixels around an NHWC frame streamed in words of SIMD channels.
// A group-major input (GROUPS sub-frames of C/GROUPS channels, behind a DDR-streamed MVU)
// is padded sub-frame by sub-frame, so the output keeps the same group-major order.
#pragma once

#include "qnnflow/compat.hpp"

namespace qnnflow {

template <unsigned H, unsigned W, unsigned TOP, unsigned LEFT, unsigned BOTTOM, unsigned RIGHT,
          unsigned C, unsigned SIMD, unsigned BITS, unsigned GROUPS>
void zero_pad(hls::stream<ap_uint<SIMD * BITS>> &in, hls::stream<ap_uint<SIMD * BITS>> &out) {
    static_assert(C % GROUPS == 0 && (C / GROUPS) % SIMD == 0,
                  "SIMD must divide the channels of each channel group");
    constexpr unsigned OH = H + TOP + BOTTOM, OW = W + LEFT + RIGHT;
    constexpr unsigned FOLDS = C / GROUPS / SIMD;  // words per pixel of one group
    constexpr unsigned TOTAL = GROUPS * OH * OW * FOLDS;
    // One output word per cycle; the counters replace divisions by the loop bounds.
    unsigned y = 0, x = 0, fold = 0;
    for (unsigned i = 0; i < TOTAL; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        const bool inside = y >= TOP && y < TOP + H && x >= LEFT && x < LEFT + W;
        out.write(inside ? in.read() : ap_uint<SIMD * BITS>(0));
        if (++fold == FOLDS) {
            fold = 0;
            if (++x == OW) {
                x = 0;
                if (++y == OH) y = 0;  // next channel group
            }
        }
    }
}

}  // namespace qnnflow
