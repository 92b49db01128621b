#include "qat/core/png.h"

#include <zlib.h>

#include "support/test_support.h"

namespace qat {

TEST(Png, HeaderAndPixelsRoundTripThroughZlib) {
  Raster r(3, 2, 0x000000);
  r.set(1, 0, 0xff8000);
  r.set(2, 1, 0x0000ff);
  r.set(9, 9, 0xffffff);  // outside: ignored
  const std::string png = encode_png(r);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(static_cast<unsigned char>(png[19]), 3u);  // width
  EXPECT_EQ(static_cast<unsigned char>(png[23]), 2u);  // height
  // Inflate IDAT and check the filter bytes and pixels.
  const size_t idat = png.find("IDAT");
  const uint32_t n = (uint32_t(uint8_t(png[idat - 4])) << 24) | (uint32_t(uint8_t(png[idat - 3])) << 16) |
                     (uint32_t(uint8_t(png[idat - 2])) << 8) | uint8_t(png[idat - 1]);
  std::string raw(2 * (1 + 9), '\0');
  uLongf size = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &size, reinterpret_cast<const Bytef*>(png.data() + idat + 4), n), Z_OK);
  EXPECT_EQ(raw, std::string("\0\0\0\0\xff\x80\0\0\0\0" "\0\0\0\0\0\0\0\0\0\xff", 20));
}

TEST(Raster, TextDrawsGlyphPixels) {
  Raster r(12, 7);
  r.text(0, 0, "1", 0x000000);
  // '1' row 0 is 00100: only the middle column is set.
  EXPECT_EQ(r.get(2, 0), 0x000000u);
  EXPECT_EQ(r.get(1, 0), 0xffffffu);
  EXPECT_EQ(r.get(3, 6), 0x000000u);  // bottom row 01110
}

}  // namespace qat
