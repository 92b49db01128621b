#include "qat/data/letterbox.h"

#include "support/test_support.h"

namespace qat::data {

TEST(Letterbox, WideImageIsScaledAndPaddedTopAndBottom) {
  // 2x4 image (H=2, W=4) into 8x8: scale 2, content 4x8, 2 rows of padding above and below.
  const auto image = at::full({3, 2, 4}, 255, at::kByte);
  const Letterbox lb = letterbox(image, 8);
  EXPECT_DOUBLE_EQ(lb.scale, 2.0);
  EXPECT_EQ(lb.pad_x, 0);
  EXPECT_EQ(lb.pad_y, 2);
  EXPECT_EQ(lb.image.sizes(), (std::vector<int64_t>{3, 8, 8}));
  EXPECT_FLOAT_EQ(lb.image[0][0][0].item<float>(), kLetterboxFill);
  EXPECT_FLOAT_EQ(lb.image[0][2][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(lb.image[0][5][7].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(lb.image[0][6][3].item<float>(), kLetterboxFill);
  const auto boxes = letterbox_boxes(at::tensor({1.f, 0.f, 3.f, 2.f}).reshape({1, 4}), lb);
  EXPECT_TRUE(at::equal(boxes, at::tensor({2.f, 2.f, 6.f, 6.f}).reshape({1, 4})));
}

TEST(Letterbox, SquareImageOfTheRightSizeIsOnlyScaledToUnitRange) {
  const auto image = at::arange(3 * 4 * 4, at::kByte).reshape({3, 4, 4});
  const Letterbox lb = letterbox(image, 4);
  EXPECT_TRUE(at::allclose(lb.image, image.to(at::kFloat) / 255.0f));
  EXPECT_EQ(lb.pad_x + lb.pad_y, 0);
}

TEST(Hflip, MirrorsImageAndBoxes) {
  at::Tensor image = at::tensor({1.f, 2.f, 3.f, 4.f}).reshape({1, 1, 4}).expand({3, 1, 4}).contiguous();
  at::Tensor boxes = at::tensor({0.f, 0.f, 1.f, 1.f}).reshape({1, 4});
  hflip(image, boxes);
  EXPECT_TRUE(at::equal(image[0][0], at::tensor({4.f, 3.f, 2.f, 1.f})));
  EXPECT_TRUE(at::equal(boxes, at::tensor({3.f, 0.f, 4.f, 1.f}).reshape({1, 4})));
}

}  // namespace qat::data
