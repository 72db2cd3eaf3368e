// Host-side file I/O for the C++ simulation only (never synthesised): moves frames of
// int64 elements between little-endian files and packed stream words, and writes each
// layer's output stream as a record (qnnflow.backends.hls.layer_records reads them) while
// the simulation runs, so no layer's stream is kept beyond the stream itself. A BIPOLAR
// stream's files and records hold -1/+1 and its words one bit per element (+1 -> 1,
// -1 -> 0; qnnflow.packing).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
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

// The narrowest integer that holds an element of BITS bits (the record's item type).
template <unsigned BITS, bool SIGNED>
using record_item_t = std::conditional_t<
    (BITS <= 8), std::conditional_t<SIGNED, int8_t, uint8_t>,
    std::conditional_t<(BITS <= 16), std::conditional_t<SIGNED, int16_t, uint16_t>,
                       std::conditional_t<(BITS <= 32), std::conditional_t<SIGNED, int32_t, uint32_t>,
                                          std::conditional_t<SIGNED, int64_t, uint64_t>>>>;

constexpr uint32_t RECORD_MAGIC = 0x534C4E51u;  // "QNLS" in little-endian bytes

// Record header (24 bytes, little-endian): magic, layer, frame (u32 each), item bytes and
// signedness (u8 each), two zero bytes, element count (u64); the elements follow.
inline void write_record_header(std::FILE *file, uint32_t layer, uint32_t frame,
                                uint8_t item_bytes, bool is_signed, uint64_t elements) {
    unsigned char header[24] = {0};
    const uint32_t fields[3] = {RECORD_MAGIC, layer, frame};
    std::memcpy(header, fields, sizeof fields);
    header[12] = item_bytes;
    header[13] = is_signed ? 1 : 0;
    std::memcpy(header + 16, &elements, sizeof elements);
    if (std::fwrite(header, 1, sizeof header, file) != sizeof header) {
        std::fprintf(stderr, "error: cannot write the stream record of layer %u\n", layer);
        std::exit(3);
    }
}

// Writes the `words` words waiting in `stream` as one record and puts every word back in
// order (the stream must hold exactly `words`): only a bounded buffer is used.
template <unsigned PER_WORD, unsigned BITS, bool SIGNED, bool BIPOLAR = false>
void write_record(hls::stream<ap_uint<PER_WORD * BITS>> &stream, std::size_t words,
                  uint32_t layer, uint32_t frame, std::FILE *file) {
    static_assert(!BIPOLAR || BITS == 1, "a BIPOLAR element is one bit");
    constexpr bool ITEM_SIGNED = SIGNED || BIPOLAR;
    using item_t = record_item_t<BIPOLAR ? 2 : BITS, ITEM_SIGNED>;
    if (stream.size() != words) {
        std::fprintf(stderr, "error: layer %u wrote %zu words per frame, expected %zu\n", layer,
                     stream.size(), words);
        std::exit(4);
    }
    write_record_header(file, layer, frame, sizeof(item_t), ITEM_SIGNED,
                        (uint64_t)words * PER_WORD);
    static std::vector<item_t> buffer;
    const std::size_t capacity = 1 << 16;
    buffer.clear();
    buffer.reserve(capacity);
    const auto flush = [&]() {
        if (std::fwrite(buffer.data(), sizeof(item_t), buffer.size(), file) != buffer.size()) {
            std::fprintf(stderr, "error: cannot write the stream record of layer %u\n", layer);
            std::exit(3);
        }
        buffer.clear();
    };
    for (std::size_t w = 0; w < words; w++) {
        const ap_uint<PER_WORD * BITS> word = stream.read();
        for (unsigned k = 0; k < PER_WORD; k++) {
            ap_uint<BITS> bits = element<BITS>(word, k);
            long long value = (long long)bits.to_uint64();
            if (SIGNED && BITS < 64 && (value >> (BITS - 1)) & 1) value -= 1LL << BITS;
            if (BIPOLAR) value = value ? 1 : -1;
            buffer.push_back((item_t)value);
            if (buffer.size() == capacity) flush();
        }
        stream.write(word);
    }
    flush();
}

}  // namespace sim
}  // namespace qnnflow
