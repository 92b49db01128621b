#include "test_images.h"

#include "qat/core/png.h"

// The only stb_image_write implementation in the test binary; static so it cannot
// clash with anything else.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace qat::data::testing {
namespace {
void append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}
}  // namespace

std::string png_rgb(int width, int height, const PixelFn& pixel) {
  Raster r(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) r.set(x, y, pixel(x, y));
  }
  return encode_png(r);
}

std::string png_raw(int width, int height, int channels, const std::string& pixels) {
  std::string out;
  stbi_write_png_to_func(append, &out, width, height, channels, pixels.data(), width * channels);
  return out;
}

std::string jpeg_raw(int width, int height, int channels, const std::string& pixels, int quality) {
  std::string out;
  stbi_write_jpg_to_func(append, &out, width, height, channels, pixels.data(), quality);
  return out;
}

std::vector<int64_t> pixel(const at::Tensor& image, int64_t y, int64_t x) {
  return {image[0][y][x].item<int64_t>(), image[1][y][x].item<int64_t>(), image[2][y][x].item<int64_t>()};
}

}  // namespace qat::data::testing
