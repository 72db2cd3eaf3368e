// AXI-Stream adapters between the DMA and the internal element streams. The DMA side is a
// whole number of bytes wide: a word of WIDTH = PER_WORD*BITS bits travels in the low bits
// of a word of axi_width(WIDTH) bits whose high padding bits are zero (what
// qnnflow.driver.formats packs on the host). The *_last variants carry the side channels the
// AXI DMA's S2MM channel needs (TKEEP, TSTRB, TLAST at the end of every frame).
#pragma once

#include "qnnflow/compat.hpp"

#ifdef __SYNTHESIS__
#include <ap_axi_sdata.h>
#endif

namespace qnnflow {

constexpr unsigned axi_width(unsigned width) { return (width + 7) / 8 * 8; }

#ifdef __SYNTHESIS__
template <int W>
using axis_word = ap_axiu<W, 0, 0, 0>;
#else
// The members of the vendor's ap_axiu that the adapters use, for the g++ simulation.
template <int W>
struct axis_word {
    ap_uint<W> data;
    ap_uint<W / 8> keep;
    ap_uint<W / 8> strb;
    ap_uint<1> last;
};
#endif

template <unsigned WORDS, unsigned WIDTH>
void axis_to_stream(hls::stream<ap_uint<axi_width(WIDTH)>> &in,
                    hls::stream<ap_uint<WIDTH>> &out) {
    for (unsigned i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        out.write(ap_uint<WIDTH>(in.read()));
    }
}

template <unsigned WORDS, unsigned WIDTH>
void stream_to_axis(hls::stream<ap_uint<WIDTH>> &in,
                    hls::stream<ap_uint<axi_width(WIDTH)>> &out) {
    for (unsigned i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        out.write(ap_uint<axi_width(WIDTH)>(in.read()));
    }
}

template <unsigned WORDS, unsigned WIDTH>
void axis_last_to_stream(hls::stream<axis_word<axi_width(WIDTH)>> &in,
                         hls::stream<ap_uint<WIDTH>> &out) {
    for (unsigned i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        out.write(ap_uint<WIDTH>(in.read().data));
    }
}

template <unsigned WORDS, unsigned WIDTH>
void stream_to_axis_last(hls::stream<ap_uint<WIDTH>> &in,
                         hls::stream<axis_word<axi_width(WIDTH)>> &out) {
    for (unsigned i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        axis_word<axi_width(WIDTH)> word;
        word.data = ap_uint<axi_width(WIDTH)>(in.read());
        word.keep = -1;
        word.strb = -1;
        word.last = i == WORDS - 1;
        out.write(word);
    }
}

}  // namespace qnnflow
