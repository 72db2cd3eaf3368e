// GlobalAccPool: per-channel sum of every pixel of a frame (global average pooling without
// its 1/(H*W) scale), PE channels per word, one input word per cycle. Each element is
// widened to the output's OBITS bits (wide enough for the sum of H*W values, so nothing
// wraps) and accumulated in two's complement. Behind a stream_ddr MatrixVectorUnit the frame
// arrives in GROUPS channel groups (group-major): a group's sums leave after its last pixel,
// which is the plain channel order of the 1x1 output.
#pragma once

#include "qnnflow/compat.hpp"
#include "qnnflow/element_value.hpp"

namespace qnnflow {

template <unsigned PIXELS, unsigned C, unsigned PE, unsigned GROUPS, unsigned BITS, bool SIGNED,
          bool BIPOLAR, unsigned OBITS>
void global_acc_pool(hls::stream<ap_uint<PE * BITS>> &in, hls::stream<ap_uint<PE * OBITS>> &out) {
    static_assert(C % GROUPS == 0 && (C / GROUPS) % PE == 0,
                  "PE must divide the channels of each channel group");
    constexpr unsigned GROUP_FOLDS = C / GROUPS / PE;
    // Every slot is set by its channel's first pixel before it is read.
    ap_uint<PE * OBITS> sums[C / PE];
    unsigned fold = 0, pixel = 0, group = 0;
    for (unsigned step = 0; step < GROUPS * PIXELS * GROUP_FOLDS; step++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        const ap_uint<PE * BITS> word = in.read();
        const unsigned slot = group * GROUP_FOLDS + fold;
        ap_uint<PE * OBITS> sum = 0;
        for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
            const ap_uint<OBITS> value =
                widen_element<BITS, SIGNED, BIPOLAR, OBITS>(element<BITS>(word, lane));
            const ap_uint<OBITS> before =
                pixel == 0 ? ap_uint<OBITS>(0) : element<OBITS>(sums[slot], lane);
            set_element<OBITS>(sum, lane, ap_uint<OBITS>(before + value));  // modulo 2^OBITS
        }
        sums[slot] = sum;
        if (pixel == PIXELS - 1) out.write(sum);
        if (++fold == GROUP_FOLDS) {
            fold = 0;
            if (++pixel == PIXELS) {
                pixel = 0;
                group++;
            }
        }
    }
}

}  // namespace qnnflow
