// XNOR-popcount, the product of a MatrixVectorUnit whose inputs and weights are both BIPOLAR
// (one bit each, +1 -> 1, -1 -> 0): a lane's partial sum over SIMD inputs is the number of
// input bits equal to their weight bits, popcount(~(x ^ w)). Over a whole row of MW inputs
// the bipolar dot product is x.w = 2 * popcount - MW, so the thresholds are converted to
// the popcount domain beforehand (qnnflow.ops.bipolar) and no product is ever formed.
#pragma once

#include "qnnflow/compat.hpp"
#include "qnnflow/datapath.hpp"

namespace qnnflow {

template <unsigned SIMD, int ACC_BITS>
dp_int<ACC_BITS> xnor_popcount(const ap_uint<SIMD> &x, const ap_uint<SIMD> &w) {
#pragma HLS INLINE
#if defined(__SYNTHESIS__) || defined(QNNFLOW_AP_DATAPATH)
    // SIMD XNOR gates and an adder tree over their bits (HLS builds the compressor tree).
    const ap_uint<SIMD> same = ~(x ^ w);
    dp_int<ACC_BITS> count = 0;
    for (unsigned s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
        count += same[s] ? 1 : 0;
    }
    return count;
#else
    // The simulation counts 64 lanes at a time.
    constexpr unsigned LIMBS = (SIMD + 63) / 64, TAIL = SIMD % 64;
    long long count = 0;
    for (unsigned l = 0; l < LIMBS; l++) {
        const unsigned long long xl = limb64(x, l), wl = limb64(w, l);
        unsigned long long same = ~(xl ^ wl);
        if (TAIL && l == LIMBS - 1) same &= (1ULL << TAIL) - 1;
        count += popcount64(same);
    }
    return count;
#endif
}

}  // namespace qnnflow
