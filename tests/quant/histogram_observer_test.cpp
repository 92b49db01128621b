#include "qat/quant/histogram_observer.h"

#include "qat/quant/entropy_observer.h"
#include "qat/quant/percentile_observer.h"
#include "qat/quant/registry.h"
#include "support/test_support.h"

namespace qat::quant {
namespace {

// What a data-parallel run does with two ranks' observers, without the ranks: every
// shared statistic of `a` and `b` is combined element-wise into both.
void combine(Observer& a, Observer& b) {
  auto sa = a.shared_stats(), sb = b.shared_stats();
  ASSERT_TRUE(sa && sb);
  ASSERT_EQ(sa->size(), sb->size());
  for (size_t i = 0; i < sa->size(); ++i) {
    at::Tensor x = (*sa)[i].tensor, y = (*sb)[i].tensor;
    at::Tensor both;
    switch ((*sa)[i].combine) {
      case Observer::Combine::min: both = at::minimum(x, y); break;
      case Observer::Combine::max: both = at::maximum(x, y); break;
      case Observer::Combine::mean: both = (x + y) / 2; break;
      case Observer::Combine::sum: both = x + y; break;
    }
    x.copy_(both);
    y.copy_(both);
  }
}

// The two-pass calibration of Observer::needs_range_pass on two ranks' batches.
void calibrate_two_ranks(Observer& a, const at::Tensor& xa, Observer& b, const at::Tensor& xb) {
  ASSERT_TRUE(a.needs_range_pass());
  a.begin_range_pass();
  b.begin_range_pass();
  a.observe(xa);
  b.observe(xb);
  ASSERT_EQ(a.shared_stats()->size(), 2u);  // the range alone
  combine(a, b);
  a.end_range_pass();
  b.end_range_pass();
  a.observe(xa);
  b.observe(xb);
  combine(a, b);
}

}  // namespace

TEST(HistogramObserver, TwoRanksCountOnTheCombinedRangeAndSumTheirCounts) {
  const PercentileOptions options{/*percentile=*/90.0, /*absolute=*/true, /*bins=*/10};
  PercentileObserver a(QuantSpec{}, options), b(QuantSpec{}, options);
  calibrate_two_ranks(a, at::tensor({0.0f, -1.0f, 2.0f, -3.0f, 4.0f}), b,
                      at::tensor({-5.0f, 6.0f, -7.0f, 8.0f, -9.0f, 100.0f}));
  // Rank 0 alone saw |x| <= 4; the common lattice is [0, 100] in bins of 10: {0..9} in
  // bin 0, 100 in bin 9, as one process that saw all values in one batch.
  for (const auto* o : {&a, &b}) {
    EXPECT_EQ(o->histogram().counts(), (std::vector<double>{10, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
    EXPECT_EQ(o->histogram().total(), 11.0);
    EXPECT_EQ(o->histogram().edge(0), 0.0);
    EXPECT_EQ(o->histogram().bin_width(), 10.0);
    const auto [lo, hi] = o->range();
    EXPECT_DOUBLE_EQ(lo, -9.0);
    EXPECT_DOUBLE_EQ(hi, 9.9);
  }
}

TEST(HistogramObserver, TwoRanksGiveTheEntropyThresholdOfOneBatchOfEverything) {
  at::manual_seed(3);
  const at::Tensor all = at::cat({at::randn({20000}), at::tensor({40.0f})});
  EntropyObserver one(QuantSpec{}), a(QuantSpec{}), b(QuantSpec{});
  one.observe(all);  // a first batch spans [0, max |x|]: the lattice the ranks agree on
  calibrate_two_ranks(a, all.slice(0, 0, 7000), b, all.slice(0, 7000));
  EXPECT_EQ(a.histogram().counts(), one.histogram().counts());
  EXPECT_EQ(b.histogram().counts(), one.histogram().counts());
  EXPECT_EQ(a.threshold(QuantSpec{}), one.threshold(QuantSpec{}));
  EXPECT_TRUE(at::equal(a.compute(QuantSpec{}).scale, one.compute(QuantSpec{}).scale));
  EXPECT_TRUE(at::equal(b.compute(QuantSpec{}).zero_point, one.compute(QuantSpec{}).zero_point));
}

// Exactly the histogram observers need the range pass (and so never combine after every
// training step); the range observers combine without one, mse not at all.
TEST(HistogramObserver, OnlyHistogramObserversNeedARangePass) {
  for (const auto& name : observer_registry().names()) {
    SCOPED_TRACE(name);
    const auto obs = observer_registry().get(name)(QuantSpec{});
    const bool histogram = name == "percentile" || name == "entropy";
    EXPECT_EQ(obs->needs_range_pass(), histogram);
    EXPECT_EQ(dynamic_cast<HistogramObserver*>(obs.get()) != nullptr, histogram);
    obs->observe(at::tensor({-1.0f, 2.0f}));
    EXPECT_EQ(obs->shared_stats().has_value(), name != "mse");
  }
  EXPECT_EQ(observer_registry().names().size(), 5u);
}

}  // namespace qat::quant
