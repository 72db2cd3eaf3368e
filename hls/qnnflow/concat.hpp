// StreamingConcat: channel concatenation of N NHWC streams of the same H x W. Per pixel it
// passes FOLDS_0 words of input 0, then FOLDS_1 of input 1, ..., each element widened to the
// output's OBITS bits; one output word of SIMD elements per cycle. Each input is described
// by a `concat_input` type, so the inputs may differ in channels, bits and signedness.
#pragma once

#include "qnnflow/compat.hpp"
#include "qnnflow/element_value.hpp"

namespace qnnflow {

// One input stream: BITS-bit elements (SIGNED or BIPOLAR codes), FOLDS = C_i / SIMD words
// per pixel.
template <unsigned BITS_, bool SIGNED_, bool BIPOLAR_, unsigned FOLDS_>
struct concat_input {
    static constexpr unsigned BITS = BITS_, FOLDS = FOLDS_;
    static constexpr bool SIGNED = SIGNED_, BIPOLAR = BIPOLAR_;
};

constexpr unsigned sum_of() { return 0; }

template <typename... Rest>
constexpr unsigned sum_of(unsigned first, Rest... rest) {
    return first + sum_of(rest...);
}

// Reads one word from input number `source` (INDEX counts the inputs passed over so far).
template <unsigned SIMD, unsigned OBITS, unsigned INDEX>
void concat_pick(unsigned, ap_uint<SIMD * OBITS> &) {}

template <unsigned SIMD, unsigned OBITS, unsigned INDEX, typename In, typename... Rest>
void concat_pick(unsigned source, ap_uint<SIMD * OBITS> &word,
                 hls::stream<ap_uint<SIMD * In::BITS>> &in,
                 hls::stream<ap_uint<SIMD * Rest::BITS>> &...rest) {
#pragma HLS INLINE
    if (source == INDEX) {
        word = widen_word<SIMD, In::BITS, In::SIGNED, In::BIPOLAR, OBITS>(in.read());
    }
    concat_pick<SIMD, OBITS, INDEX + 1, Rest...>(source, word, rest...);
}

template <unsigned PIXELS, unsigned SIMD, unsigned OBITS, typename... Ins>
void streaming_concat(hls::stream<ap_uint<SIMD * OBITS>> &out,
                      hls::stream<ap_uint<SIMD * Ins::BITS>> &...ins) {
    constexpr unsigned N = sizeof...(Ins);
    static_assert(N >= 2, "a concat has at least two inputs");
    constexpr unsigned PER_PIXEL = sum_of(Ins::FOLDS...);
    const unsigned folds[N] = {Ins::FOLDS...};
    unsigned source = 0, fold = 0;  // input being passed, its word within the pixel
    for (unsigned i = 0; i < PIXELS * PER_PIXEL; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        ap_uint<SIMD * OBITS> word = 0;
        concat_pick<SIMD, OBITS, 0, Ins...>(source, word, ins...);
        out.write(word);
        if (++fold == folds[source]) {
            fold = 0;
            if (++source == N) source = 0;
        }
    }
}

}  // namespace qnnflow
