// Host-side file I/O for the C++ simulation only (never synthesised): moves frames of
// int64 elements between little-endian files and packed stream words. A BIPOLAR stream's
// files hold -1/+1 and its words one bit per element (+1 -> 1, -1 -> 0; qnnflow.packing).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "qnnflow/compat.hpp"

namespace qnnflow {
namespace sim {

inline std::vector<long long> read_elements(const char *path, std::size_t count) {
    std::vector<long long> values(count);
    std::FILE *file = std::fopen(path, "rb");
    if (!file || std::fread(values.data(), sizeof(long long), count, file) != count) {
        std::fprintf(stderr, "error: cannot read %zu int64 elements from %s\n", count, path);
        std::exit(3);
    }
    std::fclose(file);
    return values;
}

inline void write_elements(const char *path, const std::vector<long long> &values) {
    std::FILE *file = std::fopen(path, "wb");
    if (!file || std::fwrite(values.data(), sizeof(long long), values.size(), file) !=
                     values.size()) {
        std::fprintf(stderr, "error: cannot write %s\n", path);
        std::exit(3);
    }
    std::fclose(file);
}

// Packs `words` words of PER_WORD elements of BITS bits from `values[offset...]` (BIPOLAR:
// bit = value > 0, so 0/1 codes pass unchanged too).
template <unsigned PER_WORD, unsigned BITS, bool BIPOLAR = false>
void push_words(const std::vector<long long> &values, std::size_t offset, std::size_t words,
                hls::stream<ap_uint<PER_WORD * BITS>> &out) {
    static_assert(!BIPOLAR || BITS == 1, "a BIPOLAR element is one bit");
    for (std::size_t w = 0; w < words; w++) {
        ap_uint<PER_WORD * BITS> word = 0;
        for (unsigned k = 0; k < PER_WORD; k++) {
            const long long value = values[offset + w * PER_WORD + k];
            ap_uint<BITS> bits = BIPOLAR ? (unsigned long long)(value > 0)
                                         : (unsigned long long)value;
            set_element<BITS>(word, k, bits);
        }
        out.write(word);
    }
}

// Unpacks `words` words into int64 elements (sign-extended when SIGNED, -1/+1 when BIPOLAR)
// appended to values.
template <unsigned PER_WORD, unsigned BITS, bool SIGNED, bool BIPOLAR = false>
void pop_words(hls::stream<ap_uint<PER_WORD * BITS>> &in, std::size_t words,
               std::vector<long long> &values) {
    for (std::size_t w = 0; w < words; w++) {
        if (in.empty()) {
            std::fprintf(stderr, "error: output stream ran dry after %zu of %zu words\n", w,
                         words);
            std::exit(4);
        }
        ap_uint<PER_WORD * BITS> word = in.read();
        for (unsigned k = 0; k < PER_WORD; k++) {
            ap_uint<BITS> bits = element<BITS>(word, k);
            long long value = (long long)bits.to_uint64();
            if (SIGNED && BITS < 64 && (value >> (BITS - 1)) & 1) value -= 1LL << BITS;
            if (BIPOLAR) value = value ? 1 : -1;
            values.push_back(value);
        }
    }
}

}  // namespace sim
}  // namespace qnnflow
