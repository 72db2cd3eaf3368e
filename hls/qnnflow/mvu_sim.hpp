// Simulation only (QNNFLOW_SIM_FAST, never synthesised): the functional MatrixVectorUnit of
// the fast mode for one-bit weights (bipolar weights, XNOR). It writes the same words as
// mvu_internal / mvu_group_major (mvu.hpp) without their folded cycle loop: each output
// channel's MW weight bits are one row of 64-bit limbs, each input vector's MW elements are
// IN_BITS bit planes of the same limbs (bit_planes.hpp), and a channel's accumulator is
// 2 * sum_k c_k * popcount(row & plane_k) - sum(x) (XNOR: popcount(~(row ^ x)) over MW
// bits), the exact integer sum of the kernel's per-fold partials. No cycles are counted.
#pragma once

#ifndef __SYNTHESIS__
#include <vector>

#include "qnnflow/activation.hpp"
#include "qnnflow/bit_planes.hpp"
#include "qnnflow/compat.hpp"
#include "qnnflow/ddr_weights.hpp"
#include "qnnflow/param_words.hpp"
#include "qnnflow/sim_bits.hpp"

namespace qnnflow {
namespace sim {

// A layer's matrix as one row of limbs per output channel, and its input vectors as planes.
template <unsigned MW, unsigned MH, unsigned SIMD, unsigned IN_BITS, bool IN_SIGNED, bool XNOR>
struct bit_matrix {
    static constexpr unsigned SF = MW / SIMD, LIMBS = (MW + 63) / 64 + 1;  // +1: or_bits spill
    std::vector<uint64_t> rows = std::vector<uint64_t>(MH * LIMBS, 0);

    // Bits [sf * SIMD, (sf + 1) * SIMD) of channel `c`'s row.
    void set_word(unsigned c, unsigned sf, const ap_uint<SIMD> &w) {
        uint64_t *row = &rows[c * LIMBS];
        for (unsigned i = 0; i < (SIMD + 63) / 64; i++) {
            const unsigned width = SIMD - 64 * i < 64 ? SIMD - 64 * i : 64;
            or_bits(row, sf * SIMD + 64 * i, limb64(w, i), width);
        }
    }

    // A vector's SF input words as IN_BITS planes of LIMBS limbs and the sum of its elements.
    struct vector_planes {
        uint64_t plane[IN_BITS][LIMBS];
        long long total;
    };

    static void add_word(vector_planes &v, unsigned sf, const ap_uint<SIMD * IN_BITS> &word) {
        bit_planes<SIMD, IN_BITS, IN_SIGNED> p;
        fill_bit_planes<SIMD, IN_BITS, IN_SIGNED>(word, p);
        for (unsigned k = 0; k < IN_BITS; k++) {
            for (unsigned i = 0; i < p.LIMBS; i++) {
                const unsigned width = SIMD - 64 * i < 64 ? SIMD - 64 * i : 64;
                or_bits(v.plane[k], sf * SIMD + 64 * i, p.plane[k][i], width);
            }
        }
        v.total += p.total;
    }

    long long accumulate(unsigned c, const vector_planes &v) const {
        const uint64_t *row = &rows[c * LIMBS];
        if (XNOR) {  // one plane; matching bits among the MW
            long long count = 0;
            for (unsigned l = 0; l + 1 < LIMBS; l++) count += popcount64(~(row[l] ^ v.plane[0][l]));
            return count - (long long)((LIMBS - 1) * 64 - MW);  // the padding bits matched too
        }
        long long selected = 0;
        for (unsigned k = 0; k < IN_BITS; k++) {
            long long count = 0;
            for (unsigned l = 0; l + 1 < LIMBS; l++) count += popcount64(row[l] & v.plane[k][l]);
            selected += (IN_SIGNED && k == IN_BITS - 1) ? -(count << k) : (count << k);
        }
        return 2 * selected - v.total;
    }
};

// Reads one vector's SF words into `v` (cleared first).
template <typename MATRIX, unsigned SIMD, unsigned IN_BITS>
void read_vector(hls::stream<ap_uint<SIMD * IN_BITS>> &in, typename MATRIX::vector_planes &v,
                 ap_uint<SIMD * IN_BITS> *words) {
    v = typename MATRIX::vector_planes{};
    for (unsigned sf = 0; sf < MATRIX::SF; sf++) {
        words[sf] = in.read();
        MATRIX::add_word(v, sf, words[sf]);
    }
}

// mvu_internal's output, vector by vector, from its on-chip weight words.
template <unsigned MW, unsigned MH, unsigned SIMD, unsigned PE, unsigned VECTORS,
          unsigned IN_BITS, bool IN_SIGNED, bool XNOR, int ACC_BITS, unsigned OUT_BITS,
          typename W_LIMB, unsigned W_LIMBS, typename ACTIVATION>
void mvu_internal_fast(hls::stream<ap_uint<SIMD * IN_BITS>> &in,
                       hls::stream<ap_uint<PE * OUT_BITS>> &out,
                       const W_LIMB (&weights)[PE][(MW / SIMD) * (MH / PE)][W_LIMBS],
                       const ACTIVATION &activation) {
    using matrix_t = bit_matrix<MW, MH, SIMD, IN_BITS, IN_SIGNED, XNOR>;
    constexpr unsigned SF = MW / SIMD, NF = MH / PE;
    matrix_t matrix;
    for (unsigned nf = 0; nf < NF; nf++) {
        for (unsigned lane = 0; lane < PE; lane++) {
            for (unsigned sf = 0; sf < SF; sf++) {
                matrix.set_word(nf * PE + lane, sf, join_limbs<SIMD>(weights[lane][nf * SF + sf]));
            }
        }
    }
    typename matrix_t::vector_planes v;
    std::vector<ap_uint<SIMD * IN_BITS>> words(SF);
    for (unsigned vector = 0; vector < VECTORS; vector++) {
        read_vector<matrix_t, SIMD, IN_BITS>(in, v, words.data());
        for (unsigned nf = 0; nf < NF; nf++) {
            dp_int<ACC_BITS> acc[PE];
            for (unsigned lane = 0; lane < PE; lane++) {
                acc[lane] = matrix.accumulate(nf * PE + lane, v);
            }
            out.write(activate_lanes<OUT_BITS>(acc, activation, nf));
        }
    }
}

// mvu_stream_ddr's output, group by group, from the DDR image (ddr_weights.hpp). The input
// repeats the frame's vectors once per group: each is converted once and compared after.
template <unsigned MW, unsigned MH, unsigned SIMD, unsigned PE, unsigned VECTORS,
          unsigned IN_BITS, bool IN_SIGNED, bool XNOR, int ACC_BITS, unsigned OUT_BITS,
          typename ACTIVATION>
void mvu_stream_ddr_fast(hls::stream<ap_uint<SIMD * IN_BITS>> &in,
                         hls::stream<ap_uint<PE * OUT_BITS>> &out,
                         const ap_uint<DDR_WORD_BITS> *ddr, const ACTIVATION &activation) {
    using matrix_t = bit_matrix<MW, MH, SIMD, IN_BITS, IN_SIGNED, XNOR>;
    constexpr unsigned SF = MW / SIMD, NF = MH / PE;
    constexpr unsigned SLICE_BITS = PE * SIMD, SPAN = (SLICE_BITS + 63) / 64;
    matrix_t matrix;
    for (unsigned i = 0; i < NF * SF; i++) {  // slice word i = (nf, sf): lane 0 lowest
        ap_uint<SPAN * 64> slice;
        for (unsigned l = 0; l < SPAN; l++) slice.V.get_pVal(l) = ddr[i * SPAN + l].to_uint64();
        for (unsigned lane = 0; lane < PE; lane++) {
            matrix.set_word((i / SF) * PE + lane, i % SF,
                            get_bits<SIMD>(slice, lane * SIMD));
        }
    }
    std::vector<typename matrix_t::vector_planes> planes(VECTORS);
    std::vector<ap_uint<SIMD * IN_BITS>> words(VECTORS * SF), again(SF);
    for (unsigned vector = 0; vector < VECTORS; vector++) {
        read_vector<matrix_t, SIMD, IN_BITS>(in, planes[vector], &words[vector * SF]);
    }
    for (unsigned nf = 0; nf < NF; nf++) {
        for (unsigned vector = 0; vector < VECTORS; vector++) {
            if (nf > 0) {
                bool same = true;
                for (unsigned sf = 0; sf < SF; sf++) {
                    again[sf] = in.read();
                    same = same && again[sf] == words[vector * SF + sf];
                }
                if (!same) {  // not a replay: this group sees other inputs
                    planes[vector] = typename matrix_t::vector_planes{};
                    for (unsigned sf = 0; sf < SF; sf++) {
                        words[vector * SF + sf] = again[sf];
                        matrix_t::add_word(planes[vector], sf, again[sf]);
                    }
                }
            }
            dp_int<ACC_BITS> acc[PE];
            for (unsigned lane = 0; lane < PE; lane++) {
                acc[lane] = matrix.accumulate(nf * PE + lane, planes[vector]);
            }
            out.write(activate_lanes<OUT_BITS>(acc, activation, nf));
        }
    }
}

}  // namespace sim
}  // namespace qnnflow
#endif
