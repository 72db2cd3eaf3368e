// StreamingFIFO: a FIFO stage of DEPTH words between two layers. In synthesis the layer
// is a DATAFLOW region of two copy processes joined by a stream whose depth the renderer
// sets with `#pragma HLS STREAM`; the C++ simulation runs the two copies one after the
// other through an unbounded stream, so only the input copy counts cycles (the output copy
// runs concurrently in hardware).
#pragma once

#include "qnnflow/compat.hpp"
#include "qnnflow/sim_bits.hpp"

namespace qnnflow {

template <unsigned WORDS, bool COUNT, int WIDTH>
void stream_copy(hls::stream<ap_uint<WIDTH>> &in, hls::stream<ap_uint<WIDTH>> &out) {
#if defined(QNNFLOW_SIM_FAST) && !defined(__SYNTHESIS__)
    if (sim::move_frame(in, out, WORDS)) return;  // the fast mode moves the frame at once
#endif
    for (unsigned i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
        if (COUNT) QNNFLOW_COUNT_CYCLE();
        out.write(in.read());
    }
}

}  // namespace qnnflow
