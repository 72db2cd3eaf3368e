// Simulation-only bit containers (never synthesised): what the kernels' bit-field loops
// compute, in plain 64-bit limbs, for the g++ simulation's hot paths. Each kernel keeps its
// synthesisable loop under __SYNTHESIS__ and uses these in the simulation.
#pragma once

#ifndef __SYNTHESIS__
#include <deque>

#include "qnnflow/compat.hpp"

namespace qnnflow {
namespace sim {

// ORs the low `width` (1..64) bits of `bits` (zero above) into limbs at bit `at`.
inline void or_bits(uint64_t *limbs, unsigned at, uint64_t bits, unsigned width) {
    const unsigned limb = at / 64, offset = at % 64;
    limbs[limb] |= bits << offset;
    if (offset != 0 && offset + width > 64) limbs[limb + 1] |= bits >> (64 - offset);
}

// The W-bit word held in limbs (bits past W are dropped).
template <int W>
ap_uint<W> word_of(const uint64_t *limbs) {
    if constexpr (W <= 64) {
        return ap_uint<W>(limbs[0]);
    } else {
        ap_uint<W> result;
        for (unsigned i = 0; i < (W + 63) / 64; i++) result.V.get_pVal(i) = limbs[i];
        result.V.clearUnusedBits();
        return result;
    }
}

// Builds a W-bit word from fields appended lowest first.
template <int W>
struct word_builder {
    uint64_t limbs[(W + 63) / 64 + 1] = {};
    unsigned at = 0;

    template <int B>
    void push(const ap_uint<B> &field) {
        for (unsigned i = 0; i < (B + 63) / 64; i++) {
            const unsigned width = B - 64 * i < 64 ? B - 64 * i : 64;
            or_bits(limbs, at, limb64(field, i), width);
            at += width;
        }
    }

    ap_uint<W> word() const { return word_of<W>(limbs); }
};

// BITS bits in limbs, written and read as fields of up to a few hundred bits at any offset.
template <unsigned long long BITS>
struct bit_array {
    static constexpr unsigned long long LIMBS = (BITS + 63) / 64 + 1;
    uint64_t limbs[LIMBS];

    template <int B>
    void put(unsigned long long at, const ap_uint<B> &field) {
        for (unsigned i = 0; i < (B + 63) / 64; i++, at += 64) {
            const unsigned width = B - 64 * i < 64 ? B - 64 * i : 64;
            const uint64_t ones = width == 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
            const uint64_t bits = limb64(field, i) & ones;
            const unsigned long long limb = at / 64;
            const unsigned offset = at % 64;
            limbs[limb] = (limbs[limb] & ~(ones << offset)) | (bits << offset);
            if (offset != 0 && offset + width > 64) {
                limbs[limb + 1] = (limbs[limb + 1] & ~(ones >> (64 - offset))) |
                                  (bits >> (64 - offset));
            }
        }
    }

    template <int B>
    ap_uint<B> get(unsigned long long at) const {
        uint64_t out[(B + 63) / 64];
        for (unsigned i = 0; i < (B + 63) / 64; i++, at += 64) {
            const unsigned long long limb = at / 64;
            const unsigned offset = at % 64;
            out[i] = limbs[limb] >> offset;
            if (offset != 0 && limb + 1 < LIMBS) out[i] |= limbs[limb + 1] << (64 - offset);
        }
        return word_of<B>(out);
    }
};

// The words waiting in an hls::stream (its protected deque, reached through a member
// pointer taken in a derived class: standard C++), for moves of a whole frame.
template <typename T>
struct stream_words : hls::stream<T> {
    static std::deque<T> &of(hls::stream<T> &stream) {
        return stream.*(&stream_words::_data);
    }
};

// Moves all `words` waiting in `in` to the end of `out` at once when `in` holds exactly
// them (true), as a word-by-word copy would; else moves nothing (false).
template <typename T>
bool move_frame(hls::stream<T> &in, hls::stream<T> &out, std::size_t words) {
    std::deque<T> &from = stream_words<T>::of(in), &to = stream_words<T>::of(out);
    if (from.size() != words) return false;
    if (to.empty()) {
        to.swap(from);
    } else {
        to.insert(to.end(), from.begin(), from.end());
        from.clear();
    }
    return true;
}

}  // namespace sim
}  // namespace qnnflow
#endif
