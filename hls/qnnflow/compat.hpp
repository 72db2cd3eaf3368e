// The one place that decides where arbitrary-precision integers and streams come from.
//
// Under Vitis HLS the vendor's <ap_int.h> and <hls_stream.h> are found on its include path.
// Under g++ the same headers come from the Apache-2.0 ap_types shipped in the hls4ml wheel
// (a declared dependency; `qnnflow.backends.hls.paths.ap_types_include_dir()` finds them),
// so the C++ simulation has the vendor's exact semantics without any vendor install.
#pragma once

// g++ 12 at -O2 reports false "uninitialized" warnings inside the inlined ap_private
// arithmetic; they are silenced for these headers only, so -Wall -Werror still covers ours.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Waggressive-loop-optimizations"
#endif
#include <ap_int.h>
#include <hls_stream.h>
#if defined(__GNUC__) && !defined(__clang__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic pop
#endif

#include <cstddef>
#include <cstdint>

// Buffers are plain locals in synthesis (each layer its own memory); the C++ simulation keeps
// them off the stack, where a frame buffer of megabytes would overflow it. Two layers with
// the same template arguments then share one buffer, which is harmless: every call writes
// each buffer word before reading it (or, for a memo, checks it).
#ifndef QNNFLOW_SIM_STATIC
#ifdef __SYNTHESIS__
#define QNNFLOW_SIM_STATIC
#else
#define QNNFLOW_SIM_STATIC static
#endif
#endif

namespace qnnflow {

// Cycle model of the C++ simulation: every pipelined (II=1) loop body of a kernel calls
// QNNFLOW_COUNT_CYCLE() once, so a layer's count is its folded step count per frame.
inline unsigned long long &sim_cycles() {
    static unsigned long long count = 0;
    return count;
}

#ifndef __SYNTHESIS__
// Limb `l` (bits [64l, 64l + 64)) of a word, read without a wide shift (simulation only).
template <int W>
uint64_t limb64(const ap_uint<W> &word, unsigned l) {
    if constexpr (W <= 64) {
        return l == 0 ? (uint64_t)word.to_uint64() : 0;
    } else {
        return l < (W + 63) / 64 ? word.V.get_pVal(l) : 0;
    }
}

// The 64 bits of `word` from bit `shift` on (zeros past its end), from at most two limbs.
template <int W>
uint64_t bits64_at(const ap_uint<W> &word, unsigned shift) {
    const unsigned limb = shift / 64, offset = shift % 64;
    uint64_t value = limb64(word, limb) >> offset;
    if (offset != 0) value |= limb64(word, limb + 1) << (64 - offset);
    return value;
}

// Writes the low `width` (1..64) bits of `bits` into a word of more than 64 bits at `shift`.
template <int W>
void put_bits64(ap_uint<W> &word, unsigned shift, uint64_t bits, unsigned width) {
    const uint64_t ones = width == 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
    bits &= ones;
    const unsigned limb = shift / 64, offset = shift % 64;
    uint64_t &low = word.V.get_pVal(limb);
    low = (low & ~(ones << offset)) | (bits << offset);
    if (offset != 0 && offset + width > 64) {
        uint64_t &high = word.V.get_pVal(limb + 1);
        const unsigned spill = 64 - offset;
        high = (high & ~(ones >> spill)) | (bits >> spill);
    }
}
#endif

// Bit-field access of wide words. Synthesis sees plain ap_uint shifts; the g++ simulation
// works on the 64-bit limbs of ap_private directly (a field touches its limbs only), which
// is ~50x faster than the generic wide-integer shift and mask.
template <int B, int W>
ap_uint<B> get_bits(const ap_uint<W> &word, unsigned shift) {
#pragma HLS INLINE
#if defined(__SYNTHESIS__)
    return ap_uint<B>(word >> shift);
#else
    if constexpr (W <= 64) {
        return ap_uint<B>(shift < 64 ? (uint64_t)word.to_uint64() >> shift : 0);
    } else if constexpr (B <= 64) {
        return ap_uint<B>(bits64_at(word, shift));  // truncates to B bits
    } else {
        ap_uint<B> result;
        for (unsigned i = 0; i < (B + 63) / 64; i++) {
            result.V.get_pVal(i) = shift + 64 * i < W ? bits64_at(word, shift + 64 * i) : 0;
        }
        result.V.clearUnusedBits();
        return result;
    }
#endif
}

template <int B, int W>
void set_bits(ap_uint<W> &word, unsigned shift, const ap_uint<B> &value) {
#pragma HLS INLINE
#if defined(__SYNTHESIS__)
    const ap_uint<W> mask = ap_uint<W>(ap_uint<B>(-1)) << shift;
    word = (word & ~mask) | (ap_uint<W>(value) << shift);
#else
    if constexpr (W <= 64) {  // B <= W: one 64-bit mask and shift
        const uint64_t ones = B >= 64 ? ~uint64_t(0) : (uint64_t(1) << B) - 1;
        const uint64_t bits = limb64(value, 0) & ones;
        word = ap_uint<W>(((uint64_t)word.to_uint64() & ~(ones << shift)) | (bits << shift));
    } else {
        for (unsigned i = 0; i < (B + 63) / 64 && shift + 64 * i < W; i++) {
            const unsigned width = B - 64 * i < 64 ? B - 64 * i : 64;
            put_bits64(word, shift + 64 * i, limb64(value, i), width);
        }
        word.V.clearUnusedBits();
    }
#endif
}

// Element `k` of a stream word holds bits [k*BITS, (k+1)*BITS) (element 0 in the lowest
// bits, two's complement for signed types), as qnnflow.packing defines for the host.
template <int BITS, int WORD_BITS>
ap_uint<BITS> element(const ap_uint<WORD_BITS> &word, unsigned k) {
#pragma HLS INLINE
    return get_bits<BITS>(word, k * BITS);
}

template <int BITS, int WORD_BITS>
void set_element(ap_uint<WORD_BITS> &word, unsigned k, const ap_uint<BITS> &value) {
#pragma HLS INLINE
    set_bits<BITS>(word, k * BITS, value);
}

}  // namespace qnnflow

// The simulation's fast mode (QNNFLOW_SIM_FAST: values only) counts nothing.
#if defined(__SYNTHESIS__) || defined(QNNFLOW_SIM_FAST)
#define QNNFLOW_COUNT_CYCLE()
#else
#define QNNFLOW_COUNT_CYCLE() (++::qnnflow::sim_cycles())
#endif
