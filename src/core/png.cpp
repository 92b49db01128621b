#include "qat/core/png.h"

#include <zlib.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <map>

#include "qat/core/error.h"

namespace qat {

Raster::Raster(int width, int height, uint32_t background)
    : width_(width), height_(height), pixels_(static_cast<size_t>(width) * height * 3) {
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) set(x, y, background);
  }
}

void Raster::set(int x, int y, uint32_t rgb) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  uint8_t* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  p[0] = static_cast<uint8_t>(rgb >> 16);
  p[1] = static_cast<uint8_t>(rgb >> 8);
  p[2] = static_cast<uint8_t>(rgb);
}

uint32_t Raster::get(int x, int y) const {
  const uint8_t* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  return (uint32_t(p[0]) << 16) | (uint32_t(p[1]) << 8) | p[2];
}

void Raster::line(int x0, int y0, int x1, int y1, uint32_t rgb, int thickness, int dash) {
  // Bresenham; `dash` > 0 draws dash-long segments with dash-long gaps.
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  int err = dx + dy, step = 0;
  while (true) {
    if (dash == 0 || (step / dash) % 2 == 0) {
      for (int t = -(thickness / 2); t <= thickness / 2; ++t) {
        if (dx > -dy) set(x0, y0 + t, rgb); else set(x0 + t, y0, rgb);
      }
    }
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) { err += dy; x0 += sx; }
    if (e2 <= dx) { err += dx; y0 += sy; }
    ++step;
  }
}

void Raster::rect(int x0, int y0, int x1, int y1, uint32_t rgb) {
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) set(x, y, rgb);
  }
}

namespace {

// 5x7 glyphs, one byte per row, bit 4 = leftmost pixel.
const std::map<char, std::array<uint8_t, 7>>& font() {
  static const std::map<char, std::array<uint8_t, 7>> glyphs = {
      {'0', {14, 17, 19, 21, 25, 17, 14}}, {'1', {4, 12, 4, 4, 4, 4, 14}},     {'2', {14, 17, 1, 2, 4, 8, 31}},
      {'3', {31, 2, 4, 2, 1, 17, 14}},     {'4', {2, 6, 10, 18, 31, 2, 2}},    {'5', {31, 16, 30, 1, 1, 17, 14}},
      {'6', {6, 8, 16, 30, 17, 17, 14}},   {'7', {31, 1, 2, 4, 8, 8, 8}},      {'8', {14, 17, 17, 14, 17, 17, 14}},
      {'9', {14, 17, 17, 15, 1, 2, 12}},   {'A', {14, 17, 17, 31, 17, 17, 17}}, {'B', {30, 17, 17, 30, 17, 17, 30}},
      {'C', {14, 17, 16, 16, 16, 17, 14}}, {'D', {28, 18, 17, 17, 17, 18, 28}}, {'E', {31, 16, 16, 30, 16, 16, 31}},
      {'F', {31, 16, 16, 30, 16, 16, 16}}, {'G', {14, 17, 16, 23, 17, 17, 15}}, {'H', {17, 17, 17, 31, 17, 17, 17}},
      {'I', {14, 4, 4, 4, 4, 4, 14}},      {'J', {7, 2, 2, 2, 2, 18, 12}},     {'K', {17, 18, 20, 24, 20, 18, 17}},
      {'L', {16, 16, 16, 16, 16, 16, 31}}, {'M', {17, 27, 21, 21, 17, 17, 17}}, {'N', {17, 17, 25, 21, 19, 17, 17}},
      {'O', {14, 17, 17, 17, 17, 17, 14}}, {'P', {30, 17, 17, 30, 16, 16, 16}}, {'Q', {14, 17, 17, 17, 21, 18, 13}},
      {'R', {30, 17, 17, 30, 20, 18, 17}}, {'S', {15, 16, 16, 14, 1, 1, 30}},   {'T', {31, 4, 4, 4, 4, 4, 4}},
      {'U', {17, 17, 17, 17, 17, 17, 14}}, {'V', {17, 17, 17, 17, 17, 10, 4}},  {'W', {17, 17, 17, 21, 21, 21, 10}},
      {'X', {17, 17, 10, 4, 10, 17, 17}},  {'Y', {17, 17, 10, 4, 4, 4, 4}},     {'Z', {31, 1, 2, 4, 8, 16, 31}},
      {' ', {0, 0, 0, 0, 0, 0, 0}},        {'.', {0, 0, 0, 0, 0, 12, 12}},     {'-', {0, 0, 0, 31, 0, 0, 0}},
      {':', {0, 12, 12, 0, 12, 12, 0}},    {'%', {24, 25, 2, 4, 8, 19, 3}},    {'(', {2, 4, 8, 8, 8, 4, 2}},
      {')', {8, 4, 2, 2, 2, 4, 8}},        {'/', {0, 1, 2, 4, 8, 16, 0}},      {'=', {0, 0, 31, 0, 31, 0, 0}},
      {'@', {14, 17, 1, 13, 21, 21, 14}},  {'_', {0, 0, 0, 0, 0, 0, 31}},      {'1', {4, 12, 4, 4, 4, 4, 14}}};
  return glyphs;
}

void chunk(std::string& out, const char* type, const std::string& data) {
  const uint32_t n = static_cast<uint32_t>(data.size());
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((n >> s) & 0xff);
  std::string body = std::string(type, 4) + data;
  out += body;
  const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((crc >> s) & 0xff);
}

}  // namespace

void Raster::text(int x, int y, const std::string& s, uint32_t rgb, int scale) {
  int cx = x;
  for (char raw : s) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    auto it = font().find(c);
    if (it != font().end()) {
      for (int row = 0; row < 7; ++row) {
        for (int col = 0; col < 5; ++col) {
          if (it->second[row] & (16 >> col)) rect(cx + col * scale, y + row * scale, cx + col * scale + scale - 1, y + row * scale + scale - 1, rgb);
        }
      }
    }
    cx += 6 * scale;
  }
}

std::string encode_png(const Raster& raster) {
  std::string raw;
  raw.reserve(static_cast<size_t>(raster.height()) * (raster.width() * 3 + 1));
  for (int y = 0; y < raster.height(); ++y) {
    raw += '\0';  // filter type: none
    raw.append(reinterpret_cast<const char*>(&raster.pixels()[static_cast<size_t>(y) * raster.width() * 3]),
               static_cast<size_t>(raster.width()) * 3);
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 6) != Z_OK) {
    throw Error("PNG compression failed");
  }
  packed.resize(size);
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  for (uint32_t v : {static_cast<uint32_t>(raster.width()), static_cast<uint32_t>(raster.height())}) {
    for (int s = 24; s >= 0; s -= 8) header += static_cast<char>((v >> s) & 0xff);
  }
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, no interlace
  chunk(out, "IHDR", header);
  chunk(out, "IDAT", packed);
  chunk(out, "IEND", "");
  return out;
}

}  // namespace qat
