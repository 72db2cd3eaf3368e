// Parameter words (weights, thresholds) as plain C integer arrays: g++ compiles a large
// constant table of plain integers in a blink, while a table of ap_uint objects costs it
// minutes (one dynamic initialiser per element). The kernels widen them at use.
#pragma once

#include "qnnflow/compat.hpp"

namespace qnnflow {

// The WORD_BITS-bit word stored as LIMBS little-endian limbs (limb 0 = lowest bits).
template <unsigned WORD_BITS, typename LIMB, unsigned LIMBS>
ap_uint<WORD_BITS> join_limbs(const LIMB (&limbs)[LIMBS]) {
#pragma HLS INLINE
    constexpr unsigned LIMB_BITS = 8 * sizeof(LIMB);
    static_assert(LIMBS * LIMB_BITS >= WORD_BITS, "the limbs do not hold the word");
    if (LIMBS == 1) return ap_uint<WORD_BITS>((unsigned long long)limbs[0]);
    ap_uint<LIMBS * LIMB_BITS> word = 0;
    for (unsigned i = 0; i < LIMBS; i++) {
#pragma HLS UNROLL
        word(i * LIMB_BITS + LIMB_BITS - 1, i * LIMB_BITS) = (unsigned long long)limbs[i];
    }
    return ap_uint<WORD_BITS>(word);
}

}  // namespace qnnflow
