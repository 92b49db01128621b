#include "qat/quant/histogram.h"

#include "support/test_support.h"

namespace qat::quant {

TEST(Histogram, FirstBatchSpansItsRange) {
  Histogram h(4);
  h.add(at::tensor({0.0f, 1.0f, 1.5f, 3.9f, 4.0f}));
  EXPECT_EQ(h.edge(0), 0.0);
  EXPECT_EQ(h.bin_width(), 1.0);
  // The maximum lands in the last bin.
  EXPECT_EQ(h.counts(), (std::vector<double>{1, 2, 0, 2}));
  EXPECT_EQ(h.total(), 5.0);
  EXPECT_EQ(h.min(), 0.0);
  EXPECT_EQ(h.max(), 4.0);
}

TEST(Histogram, GrowsOnTheSameLatticeAndMergesInPowersOfTwo) {
  Histogram h(4);
  h.add(at::tensor({0.0f, 1.0f, 1.5f, 4.0f}));  // bins of width 1 from 0: {1, 2, 0, 1}
  h.add(at::tensor({-1.5f}));                   // needs 2 more bins in front: 6 > 4, so width 2 from -2
  EXPECT_EQ(h.edge(0), -2.0);
  EXPECT_EQ(h.bin_width(), 2.0);
  // [-2, 0): -1.5; [0, 2): 0, 1, 1.5; [2, 4): the old last bin [3, 4) holding 4.0
  EXPECT_EQ(h.counts(), (std::vector<double>{1, 3, 1}));
  h.add(at::tensor({5.0f}));  // one more bin at the back
  EXPECT_EQ(h.counts(), (std::vector<double>{1, 3, 1, 1}));
  EXPECT_EQ(h.total(), 6.0);
}

TEST(Histogram, QuantileInterpolatesInsideTheCrossingBin) {
  Histogram h(4, /*from_zero=*/true);
  h.add(at::tensor({0.5f, 1.5f, 1.5f, 1.5f, 3.0f, 4.0f}));  // {1, 3, 0, 2}
  // 50% of 6 = 3 counts: 1 in bin 0, 2 of the 3 in bin 1 -> 1 + 2/3.
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 1.0 + 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(h.quantile(1.0), 4.0);
  EXPECT_DOUBLE_EQ(h.quantile(0.0), 0.5);  // clamped to the smallest value seen
}

TEST(Histogram, RestartsWhenAllPreviousValuesWereEqual) {
  Histogram h(2, /*from_zero=*/true);
  h.add(at::zeros({3}));
  h.add(at::tensor({2.0f}));
  EXPECT_EQ(h.bin_width(), 1.0);
  EXPECT_EQ(h.counts(), (std::vector<double>{3, 1}));
}

TEST(Histogram, AFixedRangeKeepsItsLatticeAndCountsStraysAtTheEdges) {
  Histogram h(5);
  h.add(at::tensor({100.0f}));
  h.fix_range(0.0, 10.0);  // forgets the 100
  EXPECT_TRUE(h.empty());
  h.add(at::tensor({3.0f, 10.0f}));  // a first batch would otherwise span [3, 10]
  h.add(at::tensor({-1.0f, 0.0f, 12.0f}));  // and these would grow it
  EXPECT_EQ(h.edge(0), 0.0);
  EXPECT_EQ(h.bin_width(), 2.0);
  EXPECT_EQ(h.counts(), (std::vector<double>{2, 1, 0, 0, 2}));
  EXPECT_EQ(h.min(), -1.0);
  EXPECT_EQ(h.max(), 12.0);
  // The shared views are the histogram's own storage.
  h.shared().counts.mul_(2);
  EXPECT_EQ(h.counts(), (std::vector<double>{4, 2, 0, 0, 4}));
  h.reset();
  EXPECT_FALSE(h.range_fixed());
  ASSERT_THROWS_WITH(h.fix_range(1.0, 0.0), Error, "a histogram range must be finite and ordered, got [1, 0]");
}

TEST(Histogram, RejectsNonFiniteValues) {
  Histogram h;
  ASSERT_THROWS_WITH(h.add(at::tensor({1.0f, NAN})), Error, "histogram got non-finite values (NaN or inf)");
}

}  // namespace qat::quant
