// Weight words from DDR through a 64-bit AXI-MM master (the width of the PYNQ-Z2's HP
// ports). Each WORD_BITS-bit weight word occupies ceil(WORD_BITS/64) consecutive 64-bit DDR
// words, lowest bits first; qnnflow.backends.hls.params writes that image for the host.
#pragma once

#include "qnnflow/compat.hpp"

namespace qnnflow {

constexpr unsigned DDR_WORD_BITS = 64;

// One frame's WORDS weight words, in image order, onto `out`. It runs beside the kernel
// that consumes them (DATAFLOW), ahead of it by the FIFO's depth, so its loop is not
// counted as cycles of the layer: it reads WORDS * ceil(WORD_BITS/64) DDR words per frame.
template <unsigned WORDS, unsigned WORD_BITS>
void read_ddr_weights(const ap_uint<DDR_WORD_BITS> *ddr, hls::stream<ap_uint<WORD_BITS>> &out) {
    constexpr unsigned LIMBS = (WORD_BITS + DDR_WORD_BITS - 1) / DDR_WORD_BITS;
    constexpr unsigned SPAN = LIMBS * DDR_WORD_BITS;
    ap_uint<SPAN> word = 0;
    unsigned limb = 0;
    for (unsigned i = 0; i < WORDS * LIMBS; i++) {
#pragma HLS PIPELINE II=1
        // Shift the limbs down so that after LIMBS reads the first one sits lowest.
        if (LIMBS == 1) {
            word = ddr[i];
        } else {
            word = (word >> DDR_WORD_BITS) |
                   (ap_uint<SPAN>(ddr[i]) << (SPAN - DDR_WORD_BITS));
        }
        if (++limb == LIMBS) {
            out.write(ap_uint<WORD_BITS>(word));
            limb = 0;
        }
    }
}

}  // namespace qnnflow
