// qnnflow's fused host input path: Darknet's letterbox of a uint8 HWC frame and the input
// quantizer's threshold counts in one pass, straight into the uint8 NHWC codes the
// accelerator's input stream takes. Loaded by qnnflow/yolo/letterbox_shim.py through ctypes.
//
// Bit-exact with the numpy path (resize.py's resize_into + host_ops.uniform_counts /
// multithreshold): float32 arithmetic in the same operation order, compiled with
// -ffp-contract=off and without -ffast-math, so no fused multiply-adds or reassociation.
// The vertical blend and the uniform quantizer's guesses are plain elementwise loops, so
// -O3 may run them on vector lanes (each lane the same IEEE operation); the gathers (source
// pixels, threshold bounds) stay scalar.
// The resize plan (indices, (1 - w) and w weights, Darknet's last-column/last-row rules) is
// resize.py's cached ResizePlan, passed in rather than re-derived.
#include <cstdint>
#include <limits>
#include <vector>

namespace {

enum Mode { LINEAR = 0, SORTED = 1, UNIFORM = 2 };

struct Quantizer {
    const float *table;  // [rows, levels]
    int rows, levels, mode;
    float inv, offset;  // UNIFORM: the guess (x * inv + offset), corrected below
    std::vector<float> bounds;  // UNIFORM: -inf, t_0 .. t_{levels-1}, +inf
    mutable std::vector<int32_t> guesses;  // UNIFORM: one row's guesses

    Quantizer(const float *table_, int rows_, int levels_, int mode_, float inv_, float offset_,
              int width)
        : table(table_), rows(rows_), levels(levels_), mode(mode_), inv(inv_), offset(offset_) {
        if (mode != UNIFORM) return;
        bounds.assign(table, table + levels);
        bounds.insert(bounds.begin(), -std::numeric_limits<float>::infinity());
        bounds.push_back(std::numeric_limits<float>::infinity());
        guesses.resize(width);
    }

    const float *row(int c) const { return table + (rows == 1 ? 0 : c) * levels; }

    // count(x >= t_i) over thresholds t, as qonnx MultiThreshold counts them.
    template <int MODE>
    int count(float x, const float *t) const {
        if (MODE == LINEAR) {
            int n = 0;
            for (int i = 0; i < levels; ++i) n += x >= t[i];
            return n;
        }
        if (MODE == SORTED) {  // upper bound: the first t_i > x
            int lo = 0, hi = levels;
            while (lo < hi) {
                const int mid = (lo + hi) / 2;
                if (x >= t[mid]) lo = mid + 1; else hi = mid;
            }
            return lo;
        }
        // The guess truncated (floor on (0, levels); no libm call): NaN and <= 0 give 0.
        const float guess = x * inv + offset;
        const int n = !(guess > 0.0f) ? 0 : guess >= float(levels) ? levels : int(guess);
        if ((n == 0 || x >= t[n - 1]) && (n == levels || !(x >= t[n]))) return n;
        return count<SORTED>(x, t);  // rare: rounding next to a threshold (or NaN: 0)
    }

    int count(float x, int c) const {
        const float *t = row(c);
        if (mode == LINEAR) return count<LINEAR>(x, t);
        if (mode == SORTED) return count<SORTED>(x, t);
        return count<UNIFORM>(x, t);
    }

    // One row of values [width, channels] -> counts.
    template <int MODE>
    void counts(const float *v, uint8_t *codes, int width, int channels) const {
        if (MODE == UNIFORM) {  // one shared row: guesses in one elementwise loop, then checked
            uniform_counts(v, codes, width * channels);
            return;
        }
        for (int c = 0; c < channels; ++c) {
            const float *t = row(c);
            for (int k = c; k < width * channels; k += channels) codes[k] = uint8_t(count<MODE>(v[k], t));
        }
    }

    // UNIFORM over n values: the guess of count<UNIFORM> for all of them first (no loads
    // from the table, so the compiler may run it on vector lanes), then each guess checked
    // against its two bounds (-inf and +inf past the ends), the rare miss counted exactly.
    void uniform_counts(const float *v, uint8_t *codes, int n) const {
        int32_t *guess = guesses.data();
        const float top = float(levels);
        for (int k = 0; k < n; ++k) {
            const float g = v[k] * inv + offset;
            const float low = g > 0.0f ? g : 0.0f;  // NaN and <= 0 give 0
            guess[k] = int32_t(low < top ? low : top);
        }
        const float *b = bounds.data();  // b[i] = t[i - 1]
        for (int k = 0; k < n; ++k) {
            const int c = guess[k];
            const float x = v[k];
            codes[k] = uint8_t(x >= b[c] && !(x >= b[c + 1]) ? c : count<SORTED>(x, table));
        }
    }

    void counts(const float *v, uint8_t *codes, int width, int channels) const {
        if (mode == LINEAR) counts<LINEAR>(v, codes, width, channels);
        else if (mode == SORTED) counts<SORTED>(v, codes, width, channels);
        else counts<UNIFORM>(v, codes, width, channels);
    }
};

}  // namespace

extern "C" {

// Letterbox `im` [im_h, im_w, channels] (uint8, read as k / 255.0f) into `out`
// [net_h, net_w, channels] as threshold counts: grey 0.5 bands, the image resized to
// new_h x new_w at (top, left). Plan arrays: ix/ix1 [new_w], keep_x/dx [new_w * channels]
// (one weight per column, repeated per channel),
// iy [new_h], keep_y [new_h], iy1/dy [blend_h] (rows past blend_h take keep_y * row only).
// Returns 0, or -1 when a plan index is out of the image.
int qnnflow_letterbox_codes(const uint8_t *im, int im_h, int im_w, int channels, uint8_t *out,
                            int net_h, int net_w, int top, int left, int new_h, int new_w,
                            const int64_t *ix, const int64_t *ix1, const float *keep_x,
                            const float *dx, const int64_t *iy, const float *keep_y,
                            const int64_t *iy1, const float *dy, int blend_h,
                            const float *table, int rows, int levels, int mode, float inv,
                            float offset) {
    const int width = new_w * channels;
    const Quantizer q(table, rows, levels, mode, inv, offset, width);
    for (int j = 0; j < new_w; ++j)
        if (ix[j] < 0 || ix[j] >= im_w || ix1[j] < 0 || ix1[j] >= im_w) return -1;
    for (int r = 0; r < new_h; ++r)
        if (iy[r] < 0 || iy[r] >= im_h || (r < blend_h && (iy1[r] < 0 || iy1[r] >= im_h)))
            return -1;

    float unit[256];  // Darknet's load_image scale, the same float32 division as numpy's
    for (int k = 0; k < 256; ++k) unit[k] = float(k) / 255.0f;
    std::vector<uint8_t> grey(channels);
    for (int c = 0; c < channels; ++c) grey[c] = uint8_t(q.count(0.5f, c));

    // Horizontal pass of one source row, cached: output rows walk the source rows in order.
    // Per output pixel: its two source pixels and one pair of weights (repeated per channel
    // in the plan), three channels unrolled for RGB.
    std::vector<float> part_a(width), part_b(width), values(width);
    std::vector<int32_t> from_a(new_w), from_b(new_w);  // byte offsets of pixels a and b
    for (int j = 0; j < new_w; ++j) {
        from_a[j] = int32_t(ix[j] * channels);
        from_b[j] = int32_t(ix1[j] * channels);
    }
    int64_t row_a = -1, row_b = -1;
    auto part_row = [&](int64_t src, std::vector<float> &buf, int64_t &held) -> const float * {
        if (held == src) return buf.data();
        const uint8_t *line = im + src * int64_t(im_w) * channels;
        float *out = buf.data();
        if (channels == 3) {
            for (int j = 0; j < new_w; ++j) {
                const uint8_t *a = line + from_a[j], *b = line + from_b[j];
                const float keep = keep_x[3 * j], d = dx[3 * j];
                float *o = out + 3 * j;
                for (int c = 0; c < 3; ++c) {
                    const float left_part = keep * unit[a[c]];
                    const float right_part = d * unit[b[c]];
                    o[c] = left_part + right_part;
                }
            }
        } else {
            for (int j = 0; j < new_w; ++j) {
                const uint8_t *a = line + from_a[j], *b = line + from_b[j];
                for (int c = 0; c < channels; ++c) {
                    const int k = j * channels + c;
                    const float left_part = keep_x[k] * unit[a[c]];
                    const float right_part = dx[k] * unit[b[c]];
                    out[k] = left_part + right_part;
                }
            }
        }
        held = src;
        return buf.data();
    };

    for (int y = 0; y < net_h; ++y) {
        uint8_t *dst = out + int64_t(y) * net_w * channels;
        const int r = y - top;
        if (r < 0 || r >= new_h) {
            for (int x = 0; x < net_w; ++x)
                for (int c = 0; c < channels; ++c) dst[x * channels + c] = grey[c];
            continue;
        }
        for (int x = 0; x < left; ++x)
            for (int c = 0; c < channels; ++c) dst[x * channels + c] = grey[c];
        for (int x = left + new_w; x < net_w; ++x)
            for (int c = 0; c < channels; ++c) dst[x * channels + c] = grey[c];
        // Keep the row used twice in a buffer of its own (iy1[r] is usually iy[r + 1]).
        const float *p0 = (row_b == iy[r]) ? part_row(iy[r], part_b, row_b)
                                           : part_row(iy[r], part_a, row_a);
        const float *p1 = nullptr;
        if (r < blend_h)
            p1 = (p0 == part_a.data()) ? part_row(iy1[r], part_b, row_b)
                                       : part_row(iy1[r], part_a, row_a);
        const float ky = keep_y[r];
        float *v = values.data();
        if (p1 != nullptr) {  // (1 - dy) * a + dy * b, one pass
            const float dyr = dy[r];
            for (int k = 0; k < width; ++k) {
                const float above = ky * p0[k];
                const float below = dyr * p1[k];
                v[k] = above + below;
            }
        } else {
            for (int k = 0; k < width; ++k) v[k] = ky * p0[k];
        }
        q.counts(v, dst + int64_t(left) * channels, new_w, channels);
    }
    return 0;
}
}
