// DuplicateStreams: a fork that copies every word of one stream to N >= 2 streams (an AXI
// stream has one reader). A word leaves the input only when every output takes it, so the
// slowest consumer sets the pace; one word per cycle, WORDS per frame.
#pragma once

#include "qnnflow/compat.hpp"

namespace qnnflow {

template <typename Word>
void write_every(const Word &) {}

template <typename Word, typename Stream, typename... Rest>
void write_every(const Word &word, Stream &first, Rest &...rest) {
#pragma HLS INLINE
    first.write(word);
    write_every(word, rest...);
}

template <unsigned WORDS, unsigned WIDTH, typename... Outs>
void duplicate_streams(hls::stream<ap_uint<WIDTH>> &in, Outs &...outs) {
    static_assert(sizeof...(Outs) >= 2, "a fork has at least two outputs");
    for (unsigned i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        write_every(in.read(), outs...);
    }
}

}  // namespace qnnflow
