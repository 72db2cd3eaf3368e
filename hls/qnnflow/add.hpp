// StreamingAdd: elementwise sum of two equally shaped NHWC streams (a residual connection),
// PE elements per word, each input of its own element type. Each element is widened to the output's OBITS bits (wide enough for
// the sum, so nothing wraps) and added in two's complement; one word per cycle.
#pragma once

#include "qnnflow/compat.hpp"
#include "qnnflow/element_value.hpp"

namespace qnnflow {

template <unsigned WORDS, unsigned PE, unsigned BITS0, bool SIGNED0, bool BIPOLAR0,
          unsigned BITS1, bool SIGNED1, bool BIPOLAR1, unsigned OBITS>
void streaming_add(hls::stream<ap_uint<PE * BITS0>> &in0, hls::stream<ap_uint<PE * BITS1>> &in1,
                   hls::stream<ap_uint<PE * OBITS>> &out) {
    for (unsigned i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        const ap_uint<PE * BITS0> a = in0.read();
        const ap_uint<PE * BITS1> b = in1.read();
        ap_uint<PE * OBITS> sum = 0;
        for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
            const ap_uint<OBITS> va =
                widen_element<BITS0, SIGNED0, BIPOLAR0, OBITS>(element<BITS0>(a, lane));
            const ap_uint<OBITS> vb =
                widen_element<BITS1, SIGNED1, BIPOLAR1, OBITS>(element<BITS1>(b, lane));
            set_element<OBITS>(sum, lane, ap_uint<OBITS>(va + vb));  // modulo 2^OBITS
        }
        out.write(sum);
    }
}

}  // namespace qnnflow
