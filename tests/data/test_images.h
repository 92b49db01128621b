// Encoded test images for the import tests: PNG through qat's own writer, gray/RGBA
// PNG and JPEG through stb_image_write (libstb-dev).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace qat::data::testing {

/// 0xRRGGBB of pixel (x, y).
using PixelFn = std::function<uint32_t(int x, int y)>;

/// An RGB PNG of width x height (qat::encode_png).
std::string png_rgb(int width, int height, const PixelFn& pixel);
/// A PNG with `channels` 1 (gray), 2 (gray + alpha) or 4 (RGBA) of raw interleaved `pixels`.
std::string png_raw(int width, int height, int channels, const std::string& pixels);
/// A JPEG (quality 100) with `channels` 1 or 3 of raw interleaved `pixels`.
std::string jpeg_raw(int width, int height, int channels, const std::string& pixels, int quality = 100);

/// The channels of pixel (row y, column x) of a decoded [3, H, W] image.
std::vector<int64_t> pixel(const at::Tensor& image, int64_t y, int64_t x);

}  // namespace qat::data::testing
