// Simulation-only shortcut for bipolar weights: with the SIMD inputs of a step held as
// IN_BITS bit planes (bit s of plane k = bit k of input s), a lane's dot product with weight
// bits B is 2 * sum_k c_k * popcount(B & plane_k) - sum(x), c_k = 2^k (-2^k for the sign
// bit of signed inputs): a few popcounts instead of SIMD additions, computed once per input
// word for all PE lanes and kept in a plane_memo for the word's replays. Synthesis sees
// empty structs and the plain select-and-add datapath; the tests compare both against numpy
// (QNNFLOW_AP_DATAPATH selects the synthesised one).
#pragma once

#include "qnnflow/compat.hpp"
#include "qnnflow/datapath.hpp"

#if !defined(__SYNTHESIS__) && !defined(QNNFLOW_AP_DATAPATH)
#define QNNFLOW_SIM_BIT_PLANES 1
#if defined(__BMI2__)
#include <immintrin.h>
#endif
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

#ifdef QNNFLOW_SIM_BIT_PLANES
// Bits k, k + STRIDE, k + 2 * STRIDE, ... of `window` (COUNT of them) packed low.
template <unsigned STRIDE, unsigned COUNT>
unsigned long long gather_bits(unsigned long long window, unsigned k) {
#if defined(__BMI2__)
    constexpr unsigned long long SPREAD = [] {  // bit 0 of each of the COUNT fields
        unsigned long long m = 0;
        for (unsigned e = 0; e < COUNT; e++) m |= 1ULL << (e * STRIDE);
        return m;
    }();
    return _pext_u64(window, SPREAD << k);
#else
    if constexpr (STRIDE == 1) {
        return COUNT == 64 ? window : (window & ((1ULL << COUNT) - 1));
    } else {
        unsigned long long bits = 0;
        for (unsigned e = 0; e < COUNT; e++) bits |= ((window >> (e * STRIDE + k)) & 1ULL) << e;
        return bits;
    }
#endif
}

// The planes of the SIMD elements of `word`, 64 / IN_BITS elements per 64-bit window.
template <unsigned SIMD, unsigned IN_BITS, bool IN_SIGNED>
void fill_bit_planes(const ap_uint<SIMD * IN_BITS> &word, bit_planes<SIMD, IN_BITS, IN_SIGNED> &p) {
    static_assert(IN_BITS <= 32, "the bit-plane shortcut takes elements of at most 32 bits");
    constexpr unsigned PER = 64 / IN_BITS;
    for (unsigned k = 0; k < IN_BITS; k++) {
        for (unsigned l = 0; l < p.LIMBS; l++) p.plane[k][l] = 0;
    }
    for (unsigned first = 0; first < SIMD; first += PER) {
        const unsigned long long window = bits64_at(word, first * IN_BITS);
        const unsigned limb = first / 64, offset = first % 64;
        const unsigned count = SIMD - first < PER ? SIMD - first : PER;
        const unsigned long long keep = count == 64 ? ~0ULL : (1ULL << count) - 1;
        for (unsigned k = 0; k < IN_BITS; k++) {
            const unsigned long long bits = gather_bits<IN_BITS, PER>(window, k) & keep;
            p.plane[k][limb] |= bits << offset;
            if (offset != 0 && offset + count > 64 && limb + 1 < p.LIMBS) {
                p.plane[k][limb + 1] |= bits >> (64 - offset);
            }
        }
    }
    long long total = 0;  // sum_k c_k * (number of inputs with bit k set)
    for (unsigned k = 0; k < IN_BITS; k++) {
        long long count = 0;
        for (unsigned l = 0; l < p.LIMBS; l++) count += popcount64(p.plane[k][l]);
        total += (IN_SIGNED && k == IN_BITS - 1) ? -(count << k) : (count << k);
    }
    p.total = total;
}

// sum_s (w_s ? +x_s : -x_s) for the SIMD weight bits of `w`.
template <unsigned SIMD, unsigned IN_BITS, bool IN_SIGNED>
long long bipolar_dot(const bit_planes<SIMD, IN_BITS, IN_SIGNED> &planes,
                      const ap_uint<SIMD> &w) {
    constexpr unsigned LIMBS = bit_planes<SIMD, IN_BITS, IN_SIGNED>::LIMBS;
    unsigned long long bits[LIMBS];
    for (unsigned l = 0; l < LIMBS; l++) bits[l] = limb64(w, l);
    long long selected = 0;  // sum of the inputs whose weight is +1
    for (unsigned k = 0; k < IN_BITS; k++) {
        long long count = 0;
        for (unsigned l = 0; l < LIMBS; l++) count += popcount64(planes.plane[k][l] & bits[l]);
        selected += (IN_SIGNED && k == IN_BITS - 1) ? -(count << k) : (count << k);
    }
    return 2 * selected - planes.total;
}
#endif

// The bit planes of recent input words, SLOTS of them (a kernel picks the slot: the input
// fold, or the position of a word that is replayed): a word equal to the one its slot last
// saw reuses the planes, any other is converted, so a replayed input costs one comparison.
// USED = false (weights wider than one bit, XNOR) keeps nothing. In synthesis it is empty.
template <unsigned SIMD, unsigned IN_BITS, bool IN_SIGNED, unsigned SLOTS, bool USED>
struct plane_memo {
    using planes_t = bit_planes<SIMD, IN_BITS, IN_SIGNED>;
#ifdef QNNFLOW_SIM_BIT_PLANES
    static constexpr unsigned N = USED ? SLOTS : 1;
    ap_uint<SIMD * IN_BITS> word[N];
    planes_t planes[N];
    bool valid[N] = {};

    const planes_t &get(unsigned slot, const ap_uint<SIMD * IN_BITS> &x) {
        if (!USED) return planes[0];
        if (!valid[slot] || word[slot] != x) {
            fill_bit_planes<SIMD, IN_BITS, IN_SIGNED>(x, planes[slot]);
            word[slot] = x;
            valid[slot] = true;
        }
        return planes[slot];
    }
#else
    planes_t none;

    const planes_t &get(unsigned, const ap_uint<SIMD * IN_BITS> &) const {
#pragma HLS INLINE
        return none;
    }
#endif
};

}  // namespace qnnflow
