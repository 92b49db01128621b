#include "qat/quant/percentile_observer.h"

#include "support/test_support.h"

namespace qat::quant {

TEST(PercentileObserver, ClipsAtThePercentileOfAbsoluteValues) {
  PercentileObserver obs(QuantSpec{}, {/*percentile=*/90.0, /*absolute=*/true, /*bins=*/10});
  obs.observe(at::tensor({0.0f, -1.0f, 2.0f, -3.0f, 4.0f, -5.0f, 6.0f, -7.0f, 8.0f, -9.0f, 100.0f}));
  // |x| in 10 bins of width 10: {0..9} in bin 0, 100 in bin 9. 90% of 11 = 9.9 counts,
  // 9.9 / 10 of the way through bin 0: 9.9. The negative side stops at the real minimum, -9.
  const auto [lo, hi] = obs.range();
  EXPECT_DOUBLE_EQ(lo, -9.0);
  EXPECT_DOUBLE_EQ(hi, 9.9);
  EXPECT_FLOAT_EQ(obs.compute(QuantSpec{}).scale.item<float>(), 9.9f / 127.5f);
}

TEST(PercentileObserver, SignedPercentilesClipEachSide) {
  PercentileObserver obs(QuantSpec{}, {90.0, /*absolute=*/false, 10});
  obs.observe(at::tensor({0.0f, -1.0f, 2.0f, -3.0f, 4.0f, -5.0f, 6.0f, -7.0f, 8.0f, -9.0f, 100.0f}));
  // 10 bins of width 10.9 from -9: bin 0 holds the 6 values < 1.9, bin 1 the 4 in [1.9, 12.8).
  const auto [lo, hi] = obs.range();
  EXPECT_NEAR(lo, -9.0 + 1.1 / 6.0 * 10.9, 1e-12);
  EXPECT_NEAR(hi, 1.9 + 3.9 / 4.0 * 10.9, 1e-12);
}

TEST(PercentileObserver, DefaultCutsAnOutlier) {
  PercentileObserver obs(QuantSpec{});
  obs.observe(at::cat({at::linspace(-1, 1, 100000), at::tensor({1000.0f})}));
  const auto [lo, hi] = obs.range();
  EXPECT_FLOAT_EQ(static_cast<float>(lo), -1.0f);
  // Within one histogram bin (1000 / 2048) above the inliers, far below the outlier.
  EXPECT_GE(hi, 1.0);
  EXPECT_LT(hi, 1.0 + 1000.0 / 2048.0);
}

TEST(PercentileObserver, PerTensorOnly) {
  QuantSpec spec;
  spec.axis = 0;
  ASSERT_THROWS_WITH(PercentileObserver{spec}, Error,
                     "observer 'percentile' is per-tensor only (axis must be -1, got 0)");
  ASSERT_THROWS_WITH(PercentileObserver(QuantSpec{}, {0.0, true, 10}), Error,
                     "percentile must be in (0, 100], got 0");
}

}  // namespace qat::quant
