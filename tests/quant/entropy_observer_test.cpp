#include "qat/quant/entropy_observer.h"

#include <cmath>

#include "support/test_support.h"

namespace qat::quant {

TEST(KlDivergence, HandCases) {
  EXPECT_DOUBLE_EQ(kl_divergence({1, 1}, {1, 3}), 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0));
  EXPECT_DOUBLE_EQ(kl_divergence({2, 0}, {1, 1}), std::log(2.0));
  EXPECT_TRUE(std::isinf(kl_divergence({1, 1}, {1, 0})));
  std::vector<double> counts{2, 0, 2};
  ASSERT_TRUE(smooth_distribution(counts));
  EXPECT_EQ(counts, (std::vector<double>{2 - 0.5e-4, 1e-4, 2 - 0.5e-4}));
  std::vector<double> zeros{0, 0};
  EXPECT_FALSE(smooth_distribution(zeros));
}

TEST(EntropyObserver, SmallHistogramGolden) {
  // 2-bit signed: 2 levels per side. 8 bins of width 1 over |x| in [0, 8]: {4, 4, 0, 0, 0, 0, 3, 1}.
  // Divergences (an independent transcription of ONNX Runtime's get_entropy_threshold):
  // i=2: 0.0566, 3: 0.0566, 4: 3.127, 5: 3.127, 6: 3.127, 7: 0.00888, 8: 0.0436 -> clip at edge 7.
  QuantSpec spec;
  spec.bits = 2;
  EntropyObserver obs(spec, {/*bins=*/8, /*stride=*/1});
  obs.observe(at::tensor({0.5f, 0.5f, 0.5f, 0.5f, -1.5f, -1.5f, 1.5f, 1.5f, 6.5f, 6.5f, 6.5f, 8.0f}));
  EXPECT_EQ(obs.histogram().counts(), (std::vector<double>{4, 4, 0, 0, 0, 0, 3, 1}));
  EXPECT_EQ(obs.threshold(spec), 7.0);
  // Range [-1.5, 7] on the grid [-2, 1]: scale 7 / 1.5.
  EXPECT_FLOAT_EQ(obs.compute(spec).scale.item<float>(), 7.0f / 1.5f);
}

TEST(EntropyObserver, ClipsAHugeOutlierDeterministically) {
  at::manual_seed(0);
  const auto x = at::cat({at::randn({100000}), at::tensor({1000.0f})});
  EntropyObserver a(QuantSpec{}), b(QuantSpec{});
  a.observe(x);
  b.observe(x);
  const double t = a.threshold(QuantSpec{});
  // The inliers fill the first ~10 of 2048 bins of width 1000/2048. Candidates below 256 bins
  // keep one bin per level, so Q reproduces the inliers and the folded outlier costs only its
  // smoothed bin; that cost is smallest at 255 bins (checked against an independent
  // transcription of ONNX Runtime's algorithm on the same counts): 255 * 1000 / 2048.
  EXPECT_EQ(t, 124.51171875);
  EXPECT_EQ(b.threshold(QuantSpec{}), t);
  EXPECT_TRUE(at::equal(a.compute(QuantSpec{}).scale, b.compute(QuantSpec{}).scale));
  EXPECT_FLOAT_EQ(a.compute(QuantSpec{}).scale.item<float>(), 124.51171875f / 127.5f);
}

TEST(EntropyObserver, AllZerosGiveTheMinimumScale) {
  EntropyObserver obs(QuantSpec{});
  obs.observe(at::zeros({16}));
  EXPECT_EQ(obs.threshold(QuantSpec{}), 0.0);
  EXPECT_EQ(obs.compute(QuantSpec{}).scale.item<float>(), kMinScale);
}

TEST(EntropyObserver, PerTensorOnly) {
  QuantSpec spec;
  spec.axis = 1;
  ASSERT_THROWS_WITH(EntropyObserver{spec}, Error, "observer 'entropy' is per-tensor only (axis must be -1, got 1)");
}

}  // namespace qat::quant
