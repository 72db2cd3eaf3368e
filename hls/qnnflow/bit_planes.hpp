// Simulation-only shortcut for bipolar weights: with the SIMD inputs of a step held as
// IN_BITS bit planes (bit s of plane k = bit k of input s), a lane's dot product with weight
// bits B is 2 * sum_k c_k * popcount(B & plane_k) - sum(x), c_k = 2^k (-2^k for the sign
// bit of signed inputs): a few popcounts instead of SIMD additions, computed once per step
// for all PE lanes. Synthesis sees an empty struct and the plain select-and-add datapath;
// the tests compare both against numpy (QNNFLOW_AP_DATAPATH selects the synthesised one).
#pragma once

#include "qnnflow/compat.hpp"
#include "qnnflow/datapath.hpp"

#if !defined(__SYNTHESIS__) && !defined(QNNFLOW_AP_DATAPATH)
#define QNNFLOW_SIM_BIT_PLANES 1
#endif

namespace qnnflow {

template <unsigned SIMD, unsigned IN_BITS, bool IN_SIGNED>
struct bit_planes {
#ifdef QNNFLOW_SIM_BIT_PLANES
    static constexpr unsigned LIMBS = (SIMD + 63) / 64;
    unsigned long long plane[IN_BITS][LIMBS];
    long long total;  // sum of the SIMD inputs
#endif
};

// USED = false (weights wider than one bit) skips the work.
template <unsigned SIMD, unsigned IN_BITS, bool IN_SIGNED, bool USED>
bit_planes<SIMD, IN_BITS, IN_SIGNED> make_bit_planes(const dp_int<IN_BITS + 1> (&x)[SIMD]) {
#pragma HLS INLINE
    bit_planes<SIMD, IN_BITS, IN_SIGNED> planes{};
#ifdef QNNFLOW_SIM_BIT_PLANES
    if (!USED) return planes;
    for (unsigned s = 0; s < SIMD; s++) {
        planes.total += x[s];
        // The low IN_BITS bits of the sign-extended value are its two's complement code.
        const unsigned long long code = (unsigned long long)x[s];
        for (unsigned k = 0; k < IN_BITS; k++) {
            planes.plane[k][s / 64] |= ((code >> k) & 1ULL) << (s % 64);
        }
    }
#else
    (void)x;
#endif
    return planes;
}

#ifdef QNNFLOW_SIM_BIT_PLANES
// sum_s (w_s ? +x_s : -x_s) for the SIMD weight bits of `w`.
template <unsigned SIMD, unsigned IN_BITS, bool IN_SIGNED>
long long bipolar_dot(const bit_planes<SIMD, IN_BITS, IN_SIGNED> &planes,
                      const ap_uint<SIMD> &w) {
    constexpr unsigned LIMBS = bit_planes<SIMD, IN_BITS, IN_SIGNED>::LIMBS;
    unsigned long long bits[LIMBS];
    for (unsigned l = 0; l < LIMBS; l++) bits[l] = ap_uint<64>(w >> (64 * l)).to_uint64();
    long long selected = 0;  // sum of the inputs whose weight is +1
    for (unsigned k = 0; k < IN_BITS; k++) {
        long long count = 0;
        for (unsigned l = 0; l < LIMBS; l++) count += popcount64(planes.plane[k][l] & bits[l]);
        selected += (IN_SIGNED && k == IN_BITS - 1) ? -(count << k) : (count << k);
    }
    return 2 * selected - planes.total;
}
#endif

}  // namespace qnnflow
