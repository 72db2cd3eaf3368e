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

namespace qnnflow {

// Cycle model of the C++ simulation: every pipelined (II=1) loop body of a kernel calls
// QNNFLOW_COUNT_CYCLE() once, so a layer's count is its folded step count per frame.
inline unsigned long long &sim_cycles() {
    static unsigned long long count = 0;
    return count;
}

// Element `k` of a stream word holds bits [k*BITS, (k+1)*BITS) (element 0 in the lowest
// bits, two's complement for signed types), as qnnflow.packing defines for the host.
template <int BITS, int WORD_BITS>
ap_uint<BITS> element(const ap_uint<WORD_BITS> &word, unsigned k) {
#pragma HLS INLINE
    return ap_uint<BITS>(word >> (k * BITS));
}

template <int BITS, int WORD_BITS>
void set_element(ap_uint<WORD_BITS> &word, unsigned k, const ap_uint<BITS> &value) {
#pragma HLS INLINE
    const ap_uint<WORD_BITS> mask = ap_uint<WORD_BITS>(ap_uint<BITS>(-1)) << (k * BITS);
    word = (word & ~mask) | (ap_uint<WORD_BITS>(value) << (k * BITS));
}

}  // namespace qnnflow

#ifdef __SYNTHESIS__
#define QNNFLOW_COUNT_CYCLE()
#else
#define QNNFLOW_COUNT_CYCLE() (++::qnnflow::sim_cycles())
#endif
