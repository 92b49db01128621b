#include "qat/data/image_file.h"

#include "support/test_support.h"
#include "test_images.h"

namespace qat::data {
namespace {

using testing::pixel;

}  // namespace

TEST(ReadImage, RgbPngGivesChannelsFirstPixelsUnchanged) {
  qat::testing::TempDir dir;
  // 3 wide, 2 tall; every pixel distinct.
  const auto path = dir.write("a.png", testing::png_rgb(3, 2, [](int x, int y) {
                                return static_cast<uint32_t>(0x10000 * (10 * y + x) + 0x000100 * (x + 1) + 0xff - y);
                              }));
  const at::Tensor image = read_image(path);
  EXPECT_EQ(image.scalar_type(), at::kByte);
  EXPECT_EQ(image.sizes(), (std::vector<int64_t>{3, 2, 3}));
  EXPECT_EQ(pixel(image, 0, 0), (std::vector<int64_t>{0, 1, 255}));
  EXPECT_EQ(pixel(image, 0, 2), (std::vector<int64_t>{2, 3, 255}));
  EXPECT_EQ(pixel(image, 1, 1), (std::vector<int64_t>{11, 2, 254}));
}

TEST(ReadImage, GrayIsReplicatedAndAlphaDropped) {
  qat::testing::TempDir dir;
  const at::Tensor gray = read_image(dir.write("g.png", testing::png_raw(2, 1, 1, std::string("\x07\xc8", 2))));
  EXPECT_EQ(gray.sizes(), (std::vector<int64_t>{3, 1, 2}));
  EXPECT_EQ(pixel(gray, 0, 0), (std::vector<int64_t>{7, 7, 7}));
  EXPECT_EQ(pixel(gray, 0, 1), (std::vector<int64_t>{200, 200, 200}));
  // Gray + alpha and RGBA: colour as stored, whatever the alpha.
  const at::Tensor ga = read_image(dir.write("ga.png", testing::png_raw(1, 1, 2, std::string("\x32\x00", 2))));
  EXPECT_EQ(pixel(ga, 0, 0), (std::vector<int64_t>{50, 50, 50}));
  const at::Tensor rgba = read_image(dir.write("c.png", testing::png_raw(1, 1, 4, std::string("\x01\x02\x03\x80", 4))));
  EXPECT_EQ(rgba.sizes(), (std::vector<int64_t>{3, 1, 1}));
  EXPECT_EQ(pixel(rgba, 0, 0), (std::vector<int64_t>{1, 2, 3}));
}

TEST(ReadImage, Jpeg) {
  qat::testing::TempDir dir;
  // A uniform 8x8 block: at quality 100 only colour conversion rounding remains,
  // so each channel is within 2 of what was encoded (JPEG is lossy).
  std::string rgb;
  for (int i = 0; i < 64; ++i) rgb += std::string("\x64\x96\xc8", 3);  // 100, 150, 200
  const at::Tensor image = read_image(dir.write("a.jpg", testing::jpeg_raw(8, 8, 3, rgb)));
  EXPECT_EQ(image.sizes(), (std::vector<int64_t>{3, 8, 8}));
  const at::Tensor expected = at::tensor({100, 150, 200}, at::kInt).reshape({3, 1, 1});
  EXPECT_LE((image.to(at::kInt) - expected).abs().max().item<int>(), 2);
  // Gray JPEG: one component, replicated.
  const at::Tensor gray = read_image(dir.write("g.jpg", testing::jpeg_raw(8, 8, 1, std::string(64, '\x50'))));
  EXPECT_EQ(gray.sizes(), (std::vector<int64_t>{3, 8, 8}));
  EXPECT_TRUE(at::equal(gray[0], gray[1]));
  EXPECT_TRUE(at::equal(gray[0], gray[2]));
  EXPECT_LE((gray.to(at::kInt) - 80).abs().max().item<int>(), 1);
}

TEST(ReadImage, ErrorsNameTheFile) {
  qat::testing::TempDir dir;
  ASSERT_THROWS_WITH(read_image(dir.file("none.png")), IoError,
                     dir.file("none.png") + ": cannot read: No such file or directory");
  ASSERT_THROWS_WITH(read_image(dir.write("empty.png", "")), IoError,
                     dir.file("empty.png") + ": cannot decode image: the file is empty");
  ASSERT_THROWS_WITH(read_image(dir.write("text.png", "hello, world")), IoError,
                     dir.file("text.png") + ": cannot decode image: not a PNG or JPEG file");
  // A PNG whose compressed pixels are scrambled, and a JPEG cut after its first marker.
  std::string png = testing::png_rgb(4, 4, [](int x, int y) { return static_cast<uint32_t>(0x123456 * (x + 4 * y)); });
  ASSERT_GT(png.size(), 60u);
  for (size_t i = 41; i < png.size() - 16; ++i) png[i] = static_cast<char>(png[i] ^ 0x5a);  // IDAT data, not the IEND chunk
  ASSERT_THROWS_WITH(read_image(dir.write("bad.png", png)), IoError,
                     dir.file("bad.png") + ": cannot decode image: corrupt PNG");
  ASSERT_THROWS_WITH(read_image(dir.write("cut.jpg", std::string("\xff\xd8\xff\xe0", 4))), IoError,
                     dir.file("cut.jpg") + ": cannot decode image: corrupt JPEG");
}

}  // namespace qat::data
