// Element codes as values: a stream element of BITS bits is unsigned, two's complement
// (SIGNED) or a BIPOLAR one-bit code (1 -> +1, 0 -> -1; qnnflow.packing). Ops that combine
// streams of different types (concat, add) widen every element to the output's OBITS bits.
#pragma once

#include "qnnflow/compat.hpp"

namespace qnnflow {

// The value of one element code as an OBITS-bit two's complement (or unsigned) pattern.
template <unsigned BITS, bool SIGNED, bool BIPOLAR, unsigned OBITS>
ap_uint<OBITS> widen_element(const ap_uint<BITS> &code) {
#pragma HLS INLINE
    static_assert(OBITS >= BITS, "the output type must be at least as wide as the input");
    if (BIPOLAR) return code[0] ? ap_uint<OBITS>(1) : ap_uint<OBITS>(ap_int<OBITS>(-1));
    if (SIGNED) return ap_uint<OBITS>(ap_int<OBITS>(ap_int<BITS>(code)));
    return ap_uint<OBITS>(code);
}

// Every element of a word of LANES elements widened from BITS to OBITS bits.
template <unsigned LANES, unsigned BITS, bool SIGNED, bool BIPOLAR, unsigned OBITS>
ap_uint<LANES * OBITS> widen_word(const ap_uint<LANES * BITS> &word) {
#pragma HLS INLINE
    ap_uint<LANES * OBITS> result = 0;
    for (unsigned lane = 0; lane < LANES; lane++) {
#pragma HLS UNROLL
        set_element<OBITS>(result, lane,
                           widen_element<BITS, SIGNED, BIPOLAR, OBITS>(element<BITS>(word, lane)));
    }
    return result;
}

}  // namespace qnnflow
