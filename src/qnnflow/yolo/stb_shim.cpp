// qnnflow's bridge to the system's stb_image (Debian: apt-get install libstb-dev).
// Darknet decodes JPEG/PNG with stb_image, so decoding with it gives Darknet's pixels.
// Compiled into a shared library by qnnflow/yolo/stb_decoder.py and called through ctypes.
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

extern "C" {

// The image as 8-bit RGB, 3 bytes per pixel, row by row (Darknet's load_image_stb with
// channels=3); NULL when the file cannot be decoded (qnnflow_stb_reason says why).
unsigned char *qnnflow_stb_load_rgb(const char *path, int *width, int *height) {
    int channels_in_file = 0;
    return stbi_load(path, width, height, &channels_in_file, 3);
}

void qnnflow_stb_free(unsigned char *pixels) { stbi_image_free(pixels); }

const char *qnnflow_stb_reason(void) { return stbi_failure_reason(); }
}
