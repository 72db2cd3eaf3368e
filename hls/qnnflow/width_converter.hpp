// WidthConverter: regroups a stream of IN_PER_WORD elements per word into words of
// OUT_PER_WORD elements (any pair, e.g. 6 -> 4) through a bit buffer of up to
// IN_PER_WORD + OUT_PER_WORD - 1 elements. Each cycle reads one word when fewer than
// OUT_PER_WORD elements wait and writes one word when enough do, so a frame takes
// max(input words, output words) cycles. Element order is unchanged, so a channel-group-major
// stream stays group-major.
#pragma once

#include "qnnflow/compat.hpp"

namespace qnnflow {

template <unsigned IN_PER_WORD, unsigned OUT_PER_WORD, unsigned BITS, unsigned IN_WORDS>
void width_converter(hls::stream<ap_uint<IN_PER_WORD * BITS>> &in,
                     hls::stream<ap_uint<OUT_PER_WORD * BITS>> &out) {
    static_assert(IN_WORDS * IN_PER_WORD % OUT_PER_WORD == 0,
                  "the frame must fill whole output words");
    constexpr unsigned OUT_WORDS = IN_WORDS * IN_PER_WORD / OUT_PER_WORD;
    constexpr unsigned STEPS = IN_WORDS > OUT_WORDS ? IN_WORDS : OUT_WORDS;
    constexpr unsigned BUFFER_BITS = (IN_PER_WORD + OUT_PER_WORD) * BITS;
    ap_uint<BUFFER_BITS> buffer = 0;  // element k at bits [k*BITS, (k+1)*BITS)
    unsigned count = 0, reads = 0;    // elements waiting in the buffer, words read
    for (unsigned t = 0; t < STEPS; t++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        if (count < OUT_PER_WORD && reads < IN_WORDS) {
            buffer |= ap_uint<BUFFER_BITS>(in.read()) << (count * BITS);
            count += IN_PER_WORD;
            reads++;
        }
        if (count >= OUT_PER_WORD) {
            out.write(ap_uint<OUT_PER_WORD * BITS>(buffer));
            buffer >>= OUT_PER_WORD * BITS;
            count -= OUT_PER_WORD;
        }
    }
}

}  // namespace qnnflow
