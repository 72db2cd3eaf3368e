// The output stage of a MatrixVectorUnit lane and of the standalone Thresholding kernel, so
// both compare exactly alike. A multi-threshold activation writes count(value >= t) +
// ACT_VAL as the low OUT_BITS bits of the output element (two's complement when negative);
// the pass-through writes the accumulator itself, truncated to OUT_BITS.
#pragma once

#include "qnnflow/compat.hpp"
#include "qnnflow/datapath.hpp"

namespace qnnflow {

// Thresholds need not be sorted: every comparison adds its own 0/1 (an adder tree in
// hardware, as cheap as a sorted search for the few thresholds of a QNN).
// VALUE is the lane's datapath integer (datapath.hpp).
template <unsigned T, int ACT_VAL, unsigned OUT_BITS, int TH_BITS, typename VALUE,
          typename TH_STORE>
ap_uint<OUT_BITS> count_thresholds(const VALUE &value, const TH_STORE (&thresholds)[T]) {
#pragma HLS INLINE
    // ACT_VAL .. ACT_VAL + T fits OUT_BITS (the renderer checks), so OUT_BITS + 2 holds it.
    dp_int<OUT_BITS + 2> count = ACT_VAL;
    for (unsigned i = 0; i < T; i++) {
#pragma HLS UNROLL
        count += value >= dp_int<TH_BITS>(thresholds[i]) ? 1 : 0;
    }
    return ap_uint<OUT_BITS>(count);
}

// No activation: the lane's value leaves as is (the renderer checks that OUT_BITS holds it).
template <unsigned OUT_BITS>
struct pass_value {
    template <typename VALUE>
    ap_uint<OUT_BITS> apply(const VALUE &value, unsigned, unsigned) const {
#pragma HLS INLINE
        return ap_uint<OUT_BITS>(value);
    }
};

// XNOR mode without thresholds: the lane's popcount p leaves as the bipolar dot product
// 2p - MW (xnor.hpp), truncated to OUT_BITS (the renderer checks that OUT_BITS holds it).
template <unsigned OUT_BITS, int MW>
struct popcount_to_dot {
    template <typename VALUE>
    ap_uint<OUT_BITS> apply(const VALUE &value, unsigned, unsigned) const {
#pragma HLS INLINE
        return ap_uint<OUT_BITS>(value * 2 - MW);
    }
};

// Thresholds of channel fold * PE + lane in table[lane][fold] (the folded layout of
// qnnflow.backends.hls.params), stored as plain integers of TH_BITS significant bits.
template <unsigned PE, unsigned FOLDS, unsigned T, int ACT_VAL, unsigned OUT_BITS, int TH_BITS,
          typename TH_STORE>
struct threshold_table {
    const TH_STORE (&table)[PE][FOLDS][T];

    template <typename VALUE>
    ap_uint<OUT_BITS> apply(const VALUE &value, unsigned lane, unsigned fold) const {
#pragma HLS INLINE
        return count_thresholds<T, ACT_VAL, OUT_BITS, TH_BITS>(value, table[lane][fold]);
    }
};

// One output word: the activation of each of the PE lanes' accumulators for output fold nf.
template <unsigned OUT_BITS, typename ACC, unsigned PE, typename ACTIVATION>
ap_uint<PE * OUT_BITS> activate_lanes(const ACC (&acc)[PE], const ACTIVATION &activation,
                                      unsigned nf) {
#pragma HLS INLINE
    ap_uint<PE * OUT_BITS> result = 0;
    for (unsigned lane = 0; lane < PE; lane++) {
#pragma HLS UNROLL
        set_element<OUT_BITS>(result, lane, activation.apply(acc[lane], lane, nf));
    }
    return result;
}

}  // namespace qnnflow
