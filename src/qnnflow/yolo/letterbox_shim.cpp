// qnnflow's fused host input path: Darknet's letterbox of a uint8 HWC frame and the input
// quantizer's threshold counts in one pass, straight into the uint8 NHWC codes the
// accelerator's input stream takes. Loaded by qnnflow/yolo/letterbox_shim.py through ctypes.
//
// Bit-exact with the numpy path (resize.py's resize_into + host_ops.uniform_counts /
// multithreshold): float32 arithmetic in the same operation order, compiled with
// -ffp-contract=off and without -ffast-math, so no fused multiply-adds or reassociation.
// The resize plan (indices, (1 - w) and w weights, Darknet's last-column/last-row rules) is
// resize.py's cached ResizePlan, passed in rather than re-derived.
#include <cstdint>
#include <vector>

namespace {

enum Mode { LINEAR = 0, SORTED = 1, UNIFORM = 2 };

struct Quantizer {
    const float *table;  // [rows, levels]
    int rows, levels, mode;
    float inv, offset;  // UNIFORM: the guess (x * inv + offset), corrected below

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
        for (int c = 0; c < channels; ++c) {
            const float *t = row(c);
            for (int k = c; k < width * channels; k += channels) codes[k] = uint8_t(count<MODE>(v[k], t));
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
// new_h x new_w at (top, left). Plan arrays: ix/ix1 [new_w], keep_x/dx [new_w * channels],
// iy [new_h], keep_y [new_h], iy1/dy [blend_h] (rows past blend_h take keep_y * row only).
// Returns 0, or -1 when a plan index is out of the image.
int qnnflow_letterbox_codes(const uint8_t *im, int im_h, int im_w, int channels, uint8_t *out,
                            int net_h, int net_w, int top, int left, int new_h, int new_w,
                            const int64_t *ix, const int64_t *ix1, const float *keep_x,
                            const float *dx, const int64_t *iy, const float *keep_y,
                            const int64_t *iy1, const float *dy, int blend_h,
                            const float *table, int rows, int levels, int mode, float inv,
                            float offset) {
    const Quantizer q{table, rows, levels, mode, inv, offset};
    const int width = new_w * channels;
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
    std::vector<float> part_a(width), part_b(width), values(width);
    std::vector<int64_t> from_a(width), from_b(width);  // byte offsets of a and b in a row
    for (int j = 0; j < new_w; ++j)
        for (int c = 0; c < channels; ++c) {
            from_a[j * channels + c] = ix[j] * channels + c;
            from_b[j * channels + c] = ix1[j] * channels + c;
        }
    int64_t row_a = -1, row_b = -1;
    auto part_row = [&](int64_t src, std::vector<float> &buf, int64_t &held) -> const float * {
        if (held == src) return buf.data();
        const uint8_t *line = im + src * int64_t(im_w) * channels;
        for (int k = 0; k < width; ++k) {
            const float left_part = keep_x[k] * unit[line[from_a[k]]];
            const float right_part = dx[k] * unit[line[from_b[k]]];
            buf[k] = left_part + right_part;
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
        for (int k = 0; k < width; ++k) v[k] = ky * p0[k];
        if (p1 != nullptr) {
            const float dyr = dy[r];
            for (int k = 0; k < width; ++k) {
                const float below = dyr * p1[k];
                v[k] = v[k] + below;
            }
        }
        q.counts(v, dst + int64_t(left) * channels, new_w, channels);
    }
    return 0;
}
}
