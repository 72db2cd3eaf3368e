// StreamingAdd: elementwise sum of two equally shaped NHWC streams (a residual connection),
// PE elements per word. Each element is widened to the output's OBITS bits (wide enough for
// the sum, so nothing wraps) and added in two's complement; one word per cycle.
#pragma once

#include "qnnflow/compat.hpp"
#include "qnnflow/element_value.hpp"

namespace qnnflow {

template <unsigned WORDS, unsigned PE, unsigned BITS, bool SIGNED, bool BIPOLAR, unsigned OBITS>
void streaming_add(hls::stream<ap_uint<PE * BITS>> &in0, hls::stream<ap_uint<PE * BITS>> &in1,
                   hls::stream<ap_uint<PE * OBITS>> &out) {
    for (unsigned i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        const ap_uint<PE * BITS> a = in0.read(), b = in1.read();
        ap_uint<PE * OBITS> sum = 0;
        for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
            const ap_uint<OBITS> va =
                widen_element<BITS, SIGNED, BIPOLAR, OBITS>(element<BITS>(a, lane));
            const ap_uint<OBITS> vb =
                widen_element<BITS, SIGNED, BIPOLAR, OBITS>(element<BITS>(b, lane));
            set_element<OBITS>(sum, lane, ap_uint<OBITS>(va + vb));  // modulo 2^OBITS
        }
        out.write(sum);
    }
}

}  // namespace qnnflow
