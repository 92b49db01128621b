// Writing RGB images as PNG (zlib is already a dependency), for report plots.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qat {

/// An RGB8 raster with a few drawing primitives.
class Raster {
 public:
  Raster(int width, int height, uint32_t background = 0xffffff);
  int width() const { return width_; }
  int height() const { return height_; }
  /// 0xRRGGBB; pixels outside the raster are ignored.
  void set(int x, int y, uint32_t rgb);
  uint32_t get(int x, int y) const;
  void line(int x0, int y0, int x1, int y1, uint32_t rgb, int thickness = 1, int dash = 0);
  void rect(int x0, int y0, int x1, int y1, uint32_t rgb);  ///< filled, inclusive
  /// Text in a 5x7 pixel font (digits, letters, " .-:%()/=@"), scaled by `scale`.
  void text(int x, int y, const std::string& s, uint32_t rgb, int scale = 1);
  const std::vector<uint8_t>& pixels() const { return pixels_; }

 private:
  int width_, height_;
  std::vector<uint8_t> pixels_;
};

/// Encodes `raster` as PNG bytes.
std::string encode_png(const Raster& raster);

}  // namespace qat
