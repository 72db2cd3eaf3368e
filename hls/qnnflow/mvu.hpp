// MatrixVectorUnit: integer matrix-vector products folded onto PE output lanes x SIMD input
// lanes, with an activation per output lane (activation.hpp). One folded step per cycle:
// SIMD inputs times PE x SIMD weights, so a frame of VECTORS input vectors takes
// VECTORS * (MW/SIMD) * (MH/PE) cycles in both memory modes.
//
// Elements: inputs are IN_BITS wide (two's complement when IN_SIGNED); a weight of
// W_BITS == 1 is bipolar (bit 1 = +1, bit 0 = -1), wider weights are two's complement.
// XNOR: inputs are bipolar bits too (IN_BITS == W_BITS == 1) and a lane accumulates
// popcount(XNOR) (xnor.hpp) instead of products; its activation works in that domain.
#pragma once

#include "qnnflow/activation.hpp"
#include "qnnflow/bit_planes.hpp"
#include "qnnflow/compat.hpp"
#include "qnnflow/datapath.hpp"
#include "qnnflow/ddr_weights.hpp"
#include "qnnflow/param_words.hpp"
#include "qnnflow/xnor.hpp"
#if defined(QNNFLOW_SIM_FAST) && defined(QNNFLOW_SIM_BIT_PLANES)
#include "qnnflow/mvu_sim.hpp"
#endif

namespace qnnflow {

constexpr unsigned SIM_MEMO_MAX_WORDS = 1u << 16;  // input words whose planes a layer keeps

// How a multiply is bound (the op's resType): a MULTIPLY type has a static
// `product<BITS>(a, b)` and a PACK_SHIFT (S > 0: two lanes share one multiplier, their
// weights packed as w_hi * 2^S + w_lo; see packed_pair_dot). The renderer generates one
// with `#pragma HLS BIND_OP ... impl=dsp|fabric` for an explicit resType; this one leaves
// the choice to the tool. All give the same numbers.
struct multiply_any {
    static constexpr int PACK_SHIFT = 0;
    template <int BITS, typename A, typename B>
    static dp_int<BITS> product(const A &a, const B &b) {
#pragma HLS INLINE
        return dp_int<BITS>(a * b);
    }
};

// One lane's partial dot product over SIMD inputs x (extended by one bit, so that signed
// and unsigned inputs multiply alike and a bipolar weight can negate them without overflow):
// bipolar weights select x or -x (no multiplier), wider ones multiply.
template <unsigned SIMD, unsigned IN_BITS, bool IN_SIGNED, unsigned W_BITS, int ACC_BITS,
          typename MULTIPLY>
dp_int<ACC_BITS> dot(const dp_int<IN_BITS + 1> (&x)[SIMD], const ap_uint<SIMD * W_BITS> &w) {
#pragma HLS INLINE
    constexpr int WV_BITS = W_BITS == 1 ? 2 : W_BITS;
    dp_int<WV_BITS> weight[SIMD];
#pragma HLS ARRAY_PARTITION variable=weight complete
    unpack_elements<SIMD, W_BITS, W_BITS != 1, WV_BITS>(w, weight);
    dp_int<ACC_BITS> sum = 0;
    for (unsigned s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
        if (W_BITS == 1) {
            sum += negate_unless<IN_BITS + 2>(weight[s] != 0, x[s]);
        } else {
            sum += MULTIPLY::template product<W_BITS + IN_BITS + 1>(weight[s], x[s]);
        }
    }
    return sum;
}

// Two lanes' partial dot products on one multiplier per input: P = sum of
// (w_hi * 2^S + w_lo) * x = lo + hi * 2^S, where lo and hi (each of at most S bits with its
// sign, the renderer's packing rule) are the two lanes' sums; lo is P's low S bits
// sign-extended, hi = (P - lo) / 2^S exactly.
template <unsigned SIMD, unsigned IN_BITS, unsigned W_BITS, int ACC_BITS, typename MULTIPLY>
void packed_pair_dot(const dp_int<IN_BITS + 1> (&x)[SIMD], const ap_uint<SIMD * W_BITS> &w_lo,
                     const ap_uint<SIMD * W_BITS> &w_hi, dp_int<ACC_BITS> &lo,
                     dp_int<ACC_BITS> &hi) {
#pragma HLS INLINE
    constexpr int S = MULTIPLY::PACK_SHIFT > 0 ? MULTIPLY::PACK_SHIFT : 1;
    constexpr int PACKED_BITS = S + (int)W_BITS + 1, P_BITS = 2 * S;
    dp_int<W_BITS> low[SIMD], high[SIMD];
#pragma HLS ARRAY_PARTITION variable=low complete
#pragma HLS ARRAY_PARTITION variable=high complete
    unpack_elements<SIMD, W_BITS, true, W_BITS>(w_lo, low);
    unpack_elements<SIMD, W_BITS, true, W_BITS>(w_hi, high);
    dp_int<P_BITS> p = 0;
    for (unsigned s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
        const dp_int<PACKED_BITS> packed = dp_int<PACKED_BITS>(high[s]) * (1LL << S) + low[s];
        p += MULTIPLY::template product<P_BITS>(packed, x[s]);
    }
    constexpr long long HALF = 1LL << (S - 1);
    const dp_int<S> field = dp_int<S>(((p + HALF) & (2 * HALF - 1)) - HALF);
    lo = field;
    hi = dp_int<ACC_BITS>(dp_int<P_BITS>(p - field) >> S);
}

// Every lane's partial sum over one input word of SIMD elements: popcount(XNOR) in XNOR
// mode, else the dot product of the unpacked inputs with the lane's weights. `planes` are
// the word's bit planes, the simulation's shortcut for bipolar weights (bit_planes.hpp),
// empty in synthesis.
template <unsigned SIMD, unsigned PE, unsigned IN_BITS, bool IN_SIGNED, unsigned W_BITS,
          bool XNOR, int ACC_BITS, typename MULTIPLY>
void lane_partials(const ap_uint<SIMD * IN_BITS> &word,
                   const bit_planes<SIMD, IN_BITS, IN_SIGNED> &planes,
                   const ap_uint<SIMD * W_BITS> (&w)[PE], dp_int<ACC_BITS> (&partial)[PE]) {
#pragma HLS INLINE
    static_assert(!XNOR || (IN_BITS == 1 && W_BITS == 1), "XNOR takes one-bit codes");
    if (XNOR) {
        for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
            partial[lane] = xnor_popcount<SIMD, ACC_BITS>(ap_uint<SIMD>(word),
                                                          ap_uint<SIMD>(w[lane]));
        }
        return;
    }
#ifdef QNNFLOW_SIM_BIT_PLANES
    if constexpr (W_BITS == 1) {
        for (unsigned lane = 0; lane < PE; lane++) {
            partial[lane] = bipolar_dot<SIMD, IN_BITS, IN_SIGNED>(planes, ap_uint<SIMD>(w[lane]));
        }
        return;
    }
#else
    (void)planes;
#endif
    dp_int<IN_BITS + 1> x[SIMD];
#pragma HLS ARRAY_PARTITION variable=x complete
    unpack_elements<SIMD, IN_BITS, IN_SIGNED, IN_BITS + 1>(word, x);
    constexpr unsigned PAIRED = MULTIPLY::PACK_SHIFT > 0 && W_BITS > 1 ? PE - PE % 2 : 0;
    for (unsigned lane = 0; lane < PAIRED; lane += 2) {
#pragma HLS UNROLL
        packed_pair_dot<SIMD, IN_BITS, W_BITS, ACC_BITS, MULTIPLY>(
            x, w[lane], w[lane + 1], partial[lane], partial[lane + 1]);
    }
    for (unsigned lane = PAIRED; lane < PE; lane++) {  // every lane unless packed; an odd one
#pragma HLS UNROLL
        partial[lane] = dot<SIMD, IN_BITS, IN_SIGNED, W_BITS, ACC_BITS, MULTIPLY>(x, w[lane]);
    }
}

// Weights on chip: weights[lane][fold * (MW/SIMD) + sf] is the SIMD-element word of output
// channel fold * PE + lane and inputs [sf * SIMD, (sf + 1) * SIMD). Loop order: vector ->
// output fold -> input fold; a vector's MW/SIMD input words are read during output fold 0
// and replayed from a buffer for the other MH/PE - 1 folds.
template <unsigned MW, unsigned MH, unsigned SIMD, unsigned PE, unsigned VECTORS,
          unsigned IN_BITS, bool IN_SIGNED, unsigned W_BITS, bool XNOR, int ACC_BITS,
          unsigned OUT_BITS, typename W_LIMB, unsigned W_LIMBS, typename ACTIVATION,
          typename MULTIPLY = multiply_any>
void mvu_internal(hls::stream<ap_uint<SIMD * IN_BITS>> &in,
                  hls::stream<ap_uint<PE * OUT_BITS>> &out,
                  const W_LIMB (&weights)[PE][(MW / SIMD) * (MH / PE)][W_LIMBS],
                  const ACTIVATION &activation, const MULTIPLY & = MULTIPLY()) {
    static_assert(MW % SIMD == 0 && MH % PE == 0, "SIMD must divide MW and PE must divide MH");
#if defined(QNNFLOW_SIM_FAST) && defined(QNNFLOW_SIM_BIT_PLANES)
    if constexpr (W_BITS == 1) {  // the simulation's fast mode: values only (mvu_sim.hpp)
        sim::mvu_internal_fast<MW, MH, SIMD, PE, VECTORS, IN_BITS, IN_SIGNED, XNOR, ACC_BITS,
                               OUT_BITS>(in, out, weights, activation);
        return;
    }
#endif
    constexpr unsigned SF = MW / SIMD, NF = MH / PE;
    ap_uint<SIMD * IN_BITS> input_buffer[SF];
    QNNFLOW_SIM_STATIC plane_memo<SIMD, IN_BITS, IN_SIGNED, SF, W_BITS == 1 && !XNOR> memo;
    dp_int<ACC_BITS> acc[PE] = {};  // set at sf == 0; zeroed so no path reads it unset
#pragma HLS ARRAY_PARTITION variable=acc complete
    unsigned sf = 0, nf = 0;
    for (unsigned step = 0; step < VECTORS * NF * SF; step++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        ap_uint<SIMD * IN_BITS> word;
        if (nf == 0) {
            word = in.read();
            input_buffer[sf] = word;
        } else {
            word = input_buffer[sf];
        }
        ap_uint<SIMD * W_BITS> w[PE];
#pragma HLS ARRAY_PARTITION variable=w complete
        for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
            w[lane] = join_limbs<SIMD * W_BITS>(weights[lane][nf * SF + sf]);
        }
        dp_int<ACC_BITS> partial[PE];
#pragma HLS ARRAY_PARTITION variable=partial complete
        lane_partials<SIMD, PE, IN_BITS, IN_SIGNED, W_BITS, XNOR, ACC_BITS, MULTIPLY>(
            word, memo.get(sf, word), w, partial);
        for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
            acc[lane] = sf == 0 ? partial[lane] : dp_int<ACC_BITS>(acc[lane] + partial[lane]);
        }
        if (sf == SF - 1) out.write(activate_lanes<OUT_BITS>(acc, activation, nf));
        if (++sf == SF) {
            sf = 0;
            if (++nf == NF) nf = 0;
        }
    }
}

// The on-chip half of mem_mode stream_ddr. Loop order: output fold (channel group) ->
// vector -> input fold, so the input stream carries the frame's vectors MH/PE times and the
// output leaves group-major. Slice word (fold, sf) holds the PE lanes' weight words side by
// side (lane 0 lowest); each group's MW/SIMD slice words arrive once per frame, during its
// vector 0, and stay in `slice` for the group's other vectors.
template <unsigned MW, unsigned MH, unsigned SIMD, unsigned PE, unsigned VECTORS,
          unsigned IN_BITS, bool IN_SIGNED, unsigned W_BITS, bool XNOR, int ACC_BITS,
          unsigned OUT_BITS, typename ACTIVATION, typename MULTIPLY>
void mvu_group_major(hls::stream<ap_uint<SIMD * IN_BITS>> &in,
                     hls::stream<ap_uint<PE * OUT_BITS>> &out,
                     hls::stream<ap_uint<PE * SIMD * W_BITS>> &slice_words,
                     const ACTIVATION &activation) {
    constexpr unsigned SF = MW / SIMD, NF = MH / PE;
    // The slice, one memory per lane (lane's SIMD weights of input fold sf at [lane][sf]).
    ap_uint<SIMD * W_BITS> slice[PE][SF];
#pragma HLS ARRAY_PARTITION variable=slice dim=1 complete
    // Vector 0 writes slice[.][sf]; vectors 1.. read it at least SF steps later.
#pragma HLS DEPENDENCE variable=slice inter false
    // The input repeats each vector's words once per group: the simulation keeps their bit
    // planes by position (vector, sf), within a bound on its memory.
    constexpr unsigned MEMO_WORDS = VECTORS * SF <= SIM_MEMO_MAX_WORDS ? VECTORS * SF : SF;
    QNNFLOW_SIM_STATIC plane_memo<SIMD, IN_BITS, IN_SIGNED, MEMO_WORDS, W_BITS == 1 && !XNOR>
        memo;
    dp_int<ACC_BITS> acc[PE] = {};  // set at sf == 0; zeroed so no path reads it unset
#pragma HLS ARRAY_PARTITION variable=acc complete
    unsigned sf = 0, vector = 0, nf = 0;
    for (unsigned step = 0; step < NF * VECTORS * SF; step++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        const ap_uint<SIMD * IN_BITS> word = in.read();
        ap_uint<PE * SIMD * W_BITS> words = 0;
        if (vector == 0) words = slice_words.read();
        ap_uint<SIMD * W_BITS> w[PE];
#pragma HLS ARRAY_PARTITION variable=w complete
        for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
            if (vector == 0) {  // use the arriving word and keep it
                w[lane] = element<SIMD * W_BITS>(words, lane);
                slice[lane][sf] = w[lane];
            } else {
                w[lane] = slice[lane][sf];
            }
        }
        dp_int<ACC_BITS> partial[PE];
#pragma HLS ARRAY_PARTITION variable=partial complete
        lane_partials<SIMD, PE, IN_BITS, IN_SIGNED, W_BITS, XNOR, ACC_BITS, MULTIPLY>(
            word, memo.get(MEMO_WORDS == SF ? sf : vector * SF + sf, word), w, partial);
        for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
            acc[lane] = sf == 0 ? partial[lane] : dp_int<ACC_BITS>(acc[lane] + partial[lane]);
        }
        if (sf == SF - 1) out.write(activate_lanes<OUT_BITS>(acc, activation, nf));
        if (++sf == SF) {
            sf = 0;
            if (++vector == VECTORS) {
                vector = 0;
                nf++;
            }
        }
    }
}

// mem_mode stream_ddr: the DDR reader and the compute loop as one DATAFLOW region; `ddr`
// holds the (MH/PE) * (MW/SIMD) slice words of ddr_weights.hpp's image, group by group.
template <unsigned MW, unsigned MH, unsigned SIMD, unsigned PE, unsigned VECTORS,
          unsigned IN_BITS, bool IN_SIGNED, unsigned W_BITS, bool XNOR, int ACC_BITS,
          unsigned OUT_BITS, typename ACTIVATION, typename MULTIPLY = multiply_any>
void mvu_stream_ddr(hls::stream<ap_uint<SIMD * IN_BITS>> &in,
                    hls::stream<ap_uint<PE * OUT_BITS>> &out, const ap_uint<DDR_WORD_BITS> *ddr,
                    const ACTIVATION &activation, const MULTIPLY & = MULTIPLY()) {
    static_assert(MW % SIMD == 0 && MH % PE == 0, "SIMD must divide MW and PE must divide MH");
#if defined(QNNFLOW_SIM_FAST) && defined(QNNFLOW_SIM_BIT_PLANES)
    if constexpr (W_BITS == 1) {  // the simulation's fast mode: values only (mvu_sim.hpp)
        sim::mvu_stream_ddr_fast<MW, MH, SIMD, PE, VECTORS, IN_BITS, IN_SIGNED, XNOR, ACC_BITS,
                                 OUT_BITS>(in, out, ddr, activation);
        return;
    }
#endif
#pragma HLS DATAFLOW
    constexpr unsigned SF = MW / SIMD, NF = MH / PE;
    hls::stream<ap_uint<PE * SIMD * W_BITS>> slice_words("slice_words");
    // One slice of read-ahead: the next group's words arrive while this group computes.
#pragma HLS STREAM variable=slice_words depth=SF
    read_ddr_weights<NF * SF, PE * SIMD * W_BITS>(ddr, slice_words);
    mvu_group_major<MW, MH, SIMD, PE, VECTORS, IN_BITS, IN_SIGNED, W_BITS, XNOR, ACC_BITS,
                    OUT_BITS, ACTIVATION, MULTIPLY>(in, out, slice_words, activation);
}

}  // namespace qnnflow
