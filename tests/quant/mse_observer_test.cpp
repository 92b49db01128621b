#include "qat/quant/mse_observer.h"

#include "qat/quant/quantize.h"
#include "support/test_support.h"

namespace qat::quant {

namespace {

// The search written out naively with the reference quantize/dequantize, one row at a time.
float naive_best_ratio(const at::Tensor& row, const QuantSpec& spec, int64_t grid) {
  const auto lo = row.min().reshape({1}), hi = row.max().reshape({1});
  double best_err = std::numeric_limits<double>::infinity();
  float best = 1.0f;
  for (int64_t k = grid; k >= 1; --k) {
    const float ratio = static_cast<float>(k) / static_cast<float>(grid);
    const auto qp = qparams_from_range(lo * ratio, hi * ratio, spec);
    const double err = (dequantize(quantize(row, qp, spec), qp, spec) - row).square().mean().item<double>();
    if (err < best_err) {
      best_err = err;
      best = ratio;
    }
  }
  return best;
}

}  // namespace

TEST(MseObserver, ClipsOneHugeOutlierLikeTheNaiveSearch) {
  // Per value, clipping the outlier at 50r costs (50 (1 - r))^2 / 1e5 and rounding the
  // inliers (50r / 127.5)^2 / 12: the optimum is near r = 0.66.
  const auto x = at::cat({at::linspace(-1, 1, 100001), at::tensor({50.0f})});
  MseObserver obs(QuantSpec{});
  obs.observe(x);
  const float ratio = obs.best_ratio(QuantSpec{}).item<float>();
  EXPECT_EQ(ratio, naive_best_ratio(x, QuantSpec{}, 100));
  EXPECT_GT(ratio, 0.5f);
  EXPECT_LT(ratio, 0.8f);
  const auto qp = obs.compute(QuantSpec{});
  EXPECT_LT(qp.scale.item<float>(), 50.0f / 127.5f);
  EXPECT_EQ(qp.scale.item<float>(), (50.0f * ratio) / 127.5f);
}

TEST(MseObserver, PerChannelSearchesEachChannel) {
  QuantSpec spec;
  spec.axis = 0;
  spec.is_signed = false;
  spec.symmetric = false;
  const auto base = at::linspace(-1, 1, 100001);
  const auto w = at::stack({at::cat({base, at::tensor({50.0f})}), at::cat({base * 3, at::tensor({0.5f})})});
  MseObserver obs(spec);
  obs.observe(w);
  const auto ratio = obs.best_ratio(spec);
  QuantSpec row_spec = spec;
  row_spec.axis = -1;
  EXPECT_EQ(ratio[0].item<float>(), naive_best_ratio(w[0], row_spec, 100));
  EXPECT_EQ(ratio[1].item<float>(), naive_best_ratio(w[1], row_spec, 100));
  EXPECT_LT(ratio[0].item<float>(), ratio[1].item<float>());
  EXPECT_EQ(obs.compute(spec).scale.sizes(), at::IntArrayRef({2}));
}

TEST(MseObserver, ThinsStoredSamplesToTheBudget) {
  MseObserver obs(QuantSpec{}, {/*grid=*/10, /*max_samples=*/100});
  obs.observe(at::arange(250, at::kFloat));  // every 3rd value: 84 kept
  EXPECT_EQ(obs.samples().size(1), 84);
  obs.observe(at::arange(50, at::kFloat));  // 134 > 100: every other one of all stored
  EXPECT_EQ(obs.samples().size(1), 67);
}

}  // namespace qat::quant
