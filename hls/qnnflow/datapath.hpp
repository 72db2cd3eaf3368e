// Integer types of the MAC datapaths (mvu.hpp, thresholding.hpp). For synthesis they are
// ap_int<N>. In the g++ simulation they are native 64-bit integers, an order of magnitude
// faster and still exact: the renderer sizes every datapath value (inputs + 1 bit, products,
// the accumulator from the op's worst case) so that none can exceed N bits, hence no ap_int
// would ever wrap. Define QNNFLOW_AP_DATAPATH to simulate with the synthesised types (the
// tests do, to check that path too).
#pragma once

#include "qnnflow/compat.hpp"

namespace qnnflow {

#if defined(__SYNTHESIS__) || defined(QNNFLOW_AP_DATAPATH)
template <int N>
using dp_int = ap_int<N>;
#else
template <int N>
using dp_int = long long;
#endif

#ifndef __SYNTHESIS__
// Set bits of a 64-bit word, for the simulation's bit-parallel shortcuts (bit_planes.hpp,
// xnor.hpp): one POPCNT instruction where the build targets a CPU with it (the simulation
// compiles with -march=native), else a portable SWAR count.
inline long long popcount64(unsigned long long v) {
#if defined(__POPCNT__)
    return __builtin_popcountll(v);
#else
    v = v - ((v >> 1) & 0x5555555555555555ULL);
    v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
    v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (long long)((v * 0x0101010101010101ULL) >> 56);
#endif
}
#endif

// keep ? v : -v. The simulation computes it without a branch: random bipolar weights would
// defeat the branch predictor and cost several times the arithmetic.
template <int N>
dp_int<N> negate_unless(bool keep, const dp_int<N> &v) {
#pragma HLS INLINE
#if defined(__SYNTHESIS__) || defined(QNNFLOW_AP_DATAPATH)
    return keep ? v : dp_int<N>(-v);
#else
    const long long mask = (long long)keep - 1;  // 0 keeps v, all ones negates it
    return (v ^ mask) - mask;
#endif
}

// The N elements of BITS bits of `word` (element k in bits [k*BITS, (k+1)*BITS)) as
// datapath integers, sign-extended when SIGNED, else zero-extended.
template <unsigned N, unsigned BITS, bool SIGNED, int OUT_BITS>
void unpack_elements(const ap_uint<N * BITS> &word, dp_int<OUT_BITS> (&out)[N]) {
#pragma HLS INLINE
    static_assert(OUT_BITS > (int)BITS || (SIGNED && OUT_BITS == (int)BITS),
                  "the datapath type must hold every element");
#if defined(__SYNTHESIS__) || defined(QNNFLOW_AP_DATAPATH)
    for (unsigned k = 0; k < N; k++) {
#pragma HLS UNROLL
        const ap_uint<BITS> bits = element<BITS>(word, k);
        out[k] = SIGNED ? dp_int<OUT_BITS>(ap_int<BITS>(bits)) : dp_int<OUT_BITS>(bits);
    }
#else
    static_assert(BITS <= 32, "elements of the simulation fast path are at most 32 bits");
    constexpr unsigned WORD = N * BITS, LIMBS = (WORD + 63) / 64;
    unsigned long long limbs[LIMBS + 1];
    for (unsigned i = 0; i < LIMBS; i++) limbs[i] = limb64(word, i);
    limbs[LIMBS] = 0;
    constexpr unsigned long long MASK = (1ULL << BITS) - 1;
    for (unsigned k = 0; k < N; k++) {
        const unsigned offset = k * BITS, limb = offset / 64, shift = offset % 64;
        unsigned long long bits = limbs[limb] >> shift;
        if (shift + BITS > 64) bits |= limbs[limb + 1] << (64 - shift);
        bits &= MASK;
        long long value = (long long)bits;
        if (SIGNED && ((bits >> (BITS - 1)) & 1)) value -= (long long)(MASK + 1);
        out[k] = value;
    }
#endif
}

}  // namespace qnnflow
