// StreamingMaxPool: any square kernel K and stride S, with pads (top, left, bottom, right)
// that never win the max (Darknet's -inf border, e.g. its 2x2 stride-1 pool that pads only
// the right and bottom). One input word of PE channels per cycle, padding cells included;
// partial maxima of the ceil(K/S) output rows a cell can belong to live in a ring buffer.
#pragma once

#include "qnnflow/compat.hpp"

namespace qnnflow {

// Lane-wise max of two words of PE elements, in two's complement when SIGNED.
template <unsigned PE, unsigned BITS, bool SIGNED>
ap_uint<PE * BITS> lanewise_max(const ap_uint<PE * BITS> &a, const ap_uint<PE * BITS> &b) {
#pragma HLS INLINE
    ap_uint<PE * BITS> result = 0;
    for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
        const ap_uint<BITS> ua = element<BITS>(a, lane), ub = element<BITS>(b, lane);
        const bool a_wins = SIGNED ? ap_int<BITS>(ua) >= ap_int<BITS>(ub) : ua >= ub;
        set_element<BITS>(result, lane, a_wins ? ua : ub);
    }
    return result;
}

// A word whose every element is the smallest value of the type: a pad never beats it.
template <unsigned PE, unsigned BITS, bool SIGNED>
ap_uint<PE * BITS> lanewise_min_value() {
#pragma HLS INLINE
    ap_uint<PE * BITS> word = 0;
    if (SIGNED) {
        for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
            word[lane * BITS + BITS - 1] = 1;
        }
    }
    return word;
}

template <unsigned H, unsigned W, unsigned K, unsigned S, unsigned TOP, unsigned LEFT,
          unsigned BOTTOM, unsigned RIGHT, unsigned C, unsigned PE, unsigned BITS, bool SIGNED,
          unsigned GROUPS>
void streaming_maxpool(hls::stream<ap_uint<PE * BITS>> &in,
                       hls::stream<ap_uint<PE * BITS>> &out) {
    static_assert(C % GROUPS == 0 && (C / GROUPS) % PE == 0,
                  "PE must divide the channels of each channel group");
    static_assert(TOP < K && LEFT < K && BOTTOM < K && RIGHT < K,
                  "padding must be smaller than the kernel");
    constexpr unsigned HP = H + TOP + BOTTOM, WP = W + LEFT + RIGHT;
    static_assert(HP >= K && WP >= K, "the kernel does not fit the padded input");
    constexpr unsigned OH = (HP - K) / S + 1, OW = (WP - K) / S + 1;
    constexpr unsigned FOLDS = C / GROUPS / PE;
    constexpr unsigned RING = (K + S - 1) / S;  // output rows (or columns) sharing a cell
    constexpr unsigned TOTAL = GROUPS * HP * WP * FOLDS;
    // Every slot is initialised by its window's first cell before it is read.
    ap_uint<PE * BITS> partial[RING][OW][FOLDS];
    // A cell updates up to RING consecutive columns of up to RING rows in the same cycle.
#pragma HLS ARRAY_PARTITION variable=partial dim=1 complete
#pragma HLS ARRAY_PARTITION variable=partial dim=2 cyclic factor=RING

    unsigned y = 0, x = 0, fold = 0;  // position in the padded sub-frame
    for (unsigned i = 0; i < TOTAL; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        const bool inside = y >= TOP && y < TOP + H && x >= LEFT && x < LEFT + W;
        const ap_uint<PE * BITS> value =
            inside ? in.read() : lanewise_min_value<PE, BITS, SIGNED>();
        ap_uint<PE * BITS> done = 0;
        bool emit = false;
        // Windows (oy, ox) holding this cell: oy*S <= y < oy*S + K, likewise ox.
        for (unsigned dr = 0; dr < RING; dr++) {
#pragma HLS UNROLL
            const unsigned oy = y / S - dr;
            if (y / S < dr || oy >= OH || y >= oy * S + K) continue;
            for (unsigned dc = 0; dc < RING; dc++) {
#pragma HLS UNROLL
                const unsigned ox = x / S - dc;
                if (x / S < dc || ox >= OW || x >= ox * S + K) continue;
                const bool first = y == oy * S && x == ox * S;
                ap_uint<PE * BITS> &slot = partial[oy % RING][ox][fold];
                slot = first ? value : lanewise_max<PE, BITS, SIGNED>(slot, value);
                if (y == oy * S + K - 1 && x == ox * S + K - 1) {
                    done = slot;
                    emit = true;
                }
            }
        }
        if (emit) out.write(done);
        if (++fold == FOLDS) {
            fold = 0;
            if (++x == WP) {
                x = 0;
                if (++y == HP) y = 0;  // next channel group
            }
        }
    }
}

}  // namespace qnnflow
