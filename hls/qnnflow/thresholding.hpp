// Thresholding: a standalone multi-threshold activation on a stream of PE channels per word,
// with the same comparison as the MatrixVectorUnit's fused thresholds (activation.hpp).
// Behind a stream_ddr MatrixVectorUnit the frame arrives in GROUPS channel groups
// (group-major: every vector's first C/GROUPS channels, then the next), else GROUPS = 1.
#pragma once

#include "qnnflow/activation.hpp"
#include "qnnflow/compat.hpp"
#include "qnnflow/datapath.hpp"

namespace qnnflow {

// One word per cycle: C/PE words per vector, VECTORS * C/PE cycles per frame.
template <unsigned C, unsigned PE, unsigned VECTORS, unsigned GROUPS, unsigned IN_BITS,
          bool IN_SIGNED, unsigned OUT_BITS, typename ACTIVATION>
void thresholding(hls::stream<ap_uint<PE * IN_BITS>> &in, hls::stream<ap_uint<PE * OUT_BITS>> &out,
                  const ACTIVATION &activation) {
    static_assert(C % GROUPS == 0 && (C / GROUPS) % PE == 0,
                  "PE must divide the channels of each channel group");
    constexpr unsigned GROUP_FOLDS = C / GROUPS / PE;
    unsigned fold = 0, vector = 0, group = 0;
    for (unsigned step = 0; step < GROUPS * VECTORS * GROUP_FOLDS; step++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        // One extra bit makes signed and unsigned inputs compare as signed numbers.
        dp_int<IN_BITS + 1> value[PE];
#pragma HLS ARRAY_PARTITION variable=value complete
        unpack_elements<PE, IN_BITS, IN_SIGNED, IN_BITS + 1>(in.read(), value);
        ap_uint<PE * OUT_BITS> result = 0;
        for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
            set_element<OUT_BITS>(result, lane,
                                  activation.apply(value[lane], lane, group * GROUP_FOLDS + fold));
        }
        out.write(result);
        if (++fold == GROUP_FOLDS) {
            fold = 0;
            if (++vector == VECTORS) {
                vector = 0;
                group++;
            }
        }
    }
}

}  // namespace qnnflow
