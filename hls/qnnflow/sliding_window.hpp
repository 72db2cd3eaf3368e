// SlidingWindow: one KH x KW window of C channels per output pixel, elements ordered
// (ky, kx, c) and streamed in words of SIMD channels, the input a MatrixVectorUnit expects.
// No padding (a ZeroPad comes first).
//
// sliding_window: a line buffer of KH + SH rows. It first reads KH rows; then, for each
// output row, one block of max(OW*KH*KW*F, rows*W*F) cycles writes that row's windows while
// reading the next SH input rows (fewer at the bottom) into the other SH rows of the
// buffer, so reads and writes never touch the same row (F = C/SIMD words per pixel).
//
// sliding_window_frame: stores the whole frame (arriving in GROUPS channel groups of words
// of IN_PER_WORD channels), then emits its windows REPLAYS times in words of SIMD channels:
// the input of a MatrixVectorUnit that streams its weights from DDR and computes one group
// of output channels per replay.
#pragma once

#include "qnnflow/compat.hpp"
#include "qnnflow/sim_bits.hpp"

namespace qnnflow {

template <unsigned H, unsigned W, unsigned KH, unsigned KW, unsigned SH, unsigned SW,
          unsigned C, unsigned SIMD, unsigned BITS>
void sliding_window(hls::stream<ap_uint<SIMD * BITS>> &in,
                    hls::stream<ap_uint<SIMD * BITS>> &out) {
    static_assert(C % SIMD == 0, "SIMD must divide the channels");
    static_assert(H >= KH && W >= KW, "the kernel does not fit the input");
    constexpr unsigned F = C / SIMD, ROW = W * F, ROWS = KH + SH;
    constexpr unsigned OH = (H - KH) / SH + 1, OW = (W - KW) / SW + 1;
    constexpr unsigned WRITES = OW * KH * KW * F;  // words of one output row
    QNNFLOW_SIM_STATIC ap_uint<SIMD * BITS> buffer[ROWS * ROW];

    for (unsigned i = 0; i < KH * ROW; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        buffer[i] = in.read();
    }
    unsigned next_row = KH;  // the next input row to read, stored at slot next_row % ROWS
    for (unsigned oy = 0; oy < OH; oy++) {
        const unsigned rows = H - next_row < SH ? H - next_row : SH;
        const unsigned reads = rows * ROW;
        const unsigned length = reads > WRITES ? reads : WRITES;
        unsigned read_slot = next_row % ROWS, read_offset = 0;
        unsigned ox = 0, ky = 0, kx = 0, f = 0;
        for (unsigned t = 0; t < length; t++) {
#pragma HLS PIPELINE II=1
#pragma HLS DEPENDENCE variable=buffer inter false
            QNNFLOW_COUNT_CYCLE();
            if (t < reads) {
                buffer[read_slot * ROW + read_offset] = in.read();
                if (++read_offset == ROW) {
                    read_offset = 0;
                    read_slot = read_slot + 1 == ROWS ? 0 : read_slot + 1;
                }
            }
            if (t < WRITES) {
                const unsigned slot = (oy * SH + ky) % ROWS;
                out.write(buffer[slot * ROW + (ox * SW + kx) * F + f]);
                if (++f == F) {
                    f = 0;
                    if (++kx == KW) {
                        kx = 0;
                        if (++ky == KH) {
                            ky = 0;
                            ox++;
                        }
                    }
                }
            }
        }
        next_row += rows;
    }
}

constexpr unsigned gcd(unsigned a, unsigned b) { return b == 0 ? a : gcd(b, a % b); }

// The frame is stored in units of UNIT = gcd(IN_PER_WORD, SIMD) channels spread over
// BANKS = lcm(IN_PER_WORD, SIMD) / UNIT banks (unit u of the NHWC frame in bank u % BANKS),
// so one cycle can write a whole input word and another read a whole output word even when
// the input words (e.g. the PE channels of a DDR-streamed MVU) are narrower than SIMD.
template <unsigned H, unsigned W, unsigned KH, unsigned KW, unsigned SH, unsigned SW,
          unsigned C, unsigned SIMD, unsigned IN_PER_WORD, unsigned BITS, unsigned GROUPS,
          unsigned REPLAYS>
void sliding_window_frame(hls::stream<ap_uint<IN_PER_WORD * BITS>> &in,
                          hls::stream<ap_uint<SIMD * BITS>> &out) {
    static_assert(C % SIMD == 0, "SIMD must divide the channels");
    static_assert(C % GROUPS == 0 && (C / GROUPS) % IN_PER_WORD == 0,
                  "input words must divide the channels of each channel group");
    static_assert(H >= KH && W >= KW, "the kernel does not fit the input");
    constexpr unsigned UNIT = gcd(IN_PER_WORD, SIMD);
    constexpr unsigned BANKS = (IN_PER_WORD / UNIT) * (SIMD / UNIT);  // lcm / UNIT
    constexpr unsigned UNITS = H * W * C / UNIT, DEPTH = (UNITS + BANKS - 1) / BANKS;
    constexpr unsigned GROUP_WORDS = C / GROUPS / IN_PER_WORD;  // input words per group pixel
    constexpr unsigned OH = (H - KH) / SH + 1, OW = (W - KW) / SW + 1, F = C / SIMD;
#ifdef __SYNTHESIS__
    ap_uint<UNIT * BITS> frame[BANKS][DEPTH];
#pragma HLS ARRAY_PARTITION variable=frame dim=1 complete
#else
    // The simulation keeps the frame as one bit array in NHWC element order, where an
    // output word is SIMD * BITS contiguous bits (the banks are the hardware's layout).
    (void)DEPTH;
    static sim::bit_array<1ULL * H * W * C * BITS> flat;
#endif

    // Input word j of group g at pixel p holds channels g*C/GROUPS + j*IN_PER_WORD + [0, IN).
    unsigned group = 0, pixel = 0, j = 0;
    for (unsigned i = 0; i < H * W * C / IN_PER_WORD; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        const ap_uint<IN_PER_WORD * BITS> word = in.read();
        const unsigned channel = pixel * C + group * (C / GROUPS) + j * IN_PER_WORD;
#ifdef __SYNTHESIS__
        // A word's units start at a multiple of its unit count, which divides BANKS: they
        // share one row and occupy consecutive banks.
        const unsigned first = channel / UNIT;
        const unsigned row = first / BANKS, bank = first % BANKS;
        for (unsigned k = 0; k < IN_PER_WORD / UNIT; k++) {
#pragma HLS UNROLL
            frame[bank + k][row] = get_bits<UNIT * BITS>(word, k * UNIT * BITS);
        }
#else
        flat.put(1ULL * channel * BITS, word);
#endif
        if (++j == GROUP_WORDS) {
            j = 0;
            if (++pixel == H * W) {
                pixel = 0;
                group++;
            }
        }
    }
    unsigned oy = 0, ox = 0, ky = 0, kx = 0, f = 0;
    for (unsigned i = 0; i < REPLAYS * OH * OW * KH * KW * F; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        const unsigned channel = ((oy * SH + ky) * W + ox * SW + kx) * C + f * SIMD;
#ifdef __SYNTHESIS__
        const unsigned first = channel / UNIT;
        const unsigned row = first / BANKS, bank = first % BANKS;
        ap_uint<SIMD * BITS> word = 0;
        for (unsigned k = 0; k < SIMD / UNIT; k++) {
#pragma HLS UNROLL
            set_bits<UNIT * BITS>(word, k * UNIT * BITS, frame[bank + k][row]);
        }
        out.write(word);
#else
        out.write(flat.template get<SIMD * BITS>(1ULL * channel * BITS));
#endif
        if (++f == F) {
            f = 0;
            if (++kx == KW) {
                kx = 0;
                if (++ky == KH) {
                    ky = 0;
                    if (++ox == OW) {
                        ox = 0;
                        if (++oy == OH) oy = 0;  // next replay
                    }
                }
            }
        }
    }
}

}  // namespace qnnflow
