#include "qat/quant/quant_spec.h"

#include "support/test_support.h"

namespace qat::quant {

namespace {

QuantSpec spec_of(int bits, bool is_signed, bool symmetric, bool narrow = false, int64_t axis = -1) {
  QuantSpec s;
  s.bits = bits;
  s.is_signed = is_signed;
  s.symmetric = symmetric;
  s.narrow_range = narrow;
  s.axis = axis;
  return s;
}

QParams range(float lo, float hi, const QuantSpec& spec) {
  return qparams_from_range(at::tensor({lo}), at::tensor({hi}), spec);
}

// The ATen formulation qparams_from_range had before it became one loop: the reference
// it must match bit for bit.
QParams aten_qparams(const at::Tensor& lo, const at::Tensor& hi, const QuantSpec& spec) {
  const int64_t qmin = spec.quant_min(), qmax = spec.quant_max();
  const auto min_neg = at::clamp_max(lo, 0.0);
  const auto max_pos = at::clamp_min(hi, 0.0);
  if (spec.symmetric) {
    const auto amax = at::maximum(-min_neg, max_pos);
    const auto scale = at::clamp_min(amax / (static_cast<float>(qmax - qmin) / 2.0f), kMinScale);
    const int64_t zp = spec.is_signed ? 0 : (qmin + qmax + 1) / 2;
    return {scale, at::full_like(scale, zp, at::kInt)};
  }
  const auto scale = at::clamp_min((max_pos - min_neg) / static_cast<float>(qmax - qmin), kMinScale);
  return {scale, at::clamp(qmin - at::round(min_neg / scale), qmin, qmax).to(at::kInt)};
}

}  // namespace

TEST(QParamsFromRange, BitIdenticalToTheAtenFormulation) {
  at::manual_seed(7);
  // Ranges across magnitudes, one-sided ones, degenerate ones and ones below the minimum scale.
  const auto a = at::randn({4096}) * at::pow(10.0, at::randint(-9, 4, {4096}));
  const auto b = at::randn({4096}) * at::pow(10.0, at::randint(-9, 4, {4096}));
  auto lo = at::minimum(a, b), hi = at::maximum(a, b);
  lo.narrow(0, 0, 64).zero_();
  hi.narrow(0, 64, 64).copy_(lo.narrow(0, 64, 64));
  lo.narrow(0, 128, 64).abs_();
  hi.narrow(0, 128, 64).copy_(lo.narrow(0, 128, 64) * 1.5f);
  hi = at::maximum(lo, hi);
  int cases = 0;
  for (const int bits : {2, 4, 8, 16}) {
    for (const bool is_signed : {true, false}) {
      for (const bool symmetric : {true, false}) {
        for (const bool narrow : {false, true}) {
          const auto spec = spec_of(bits, is_signed, symmetric, narrow, 0);
          const auto got = qparams_from_range(lo, hi, spec);
          const auto want = aten_qparams(lo, hi, spec);
          ASSERT_TRUE(at::equal(got.scale, want.scale)) << bits << is_signed << symmetric << narrow;
          ASSERT_TRUE(at::equal(got.zero_point, want.zero_point)) << bits << is_signed << symmetric << narrow;
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 32);
}

TEST(QuantSpec, GridBounds) {
  EXPECT_EQ(spec_of(8, true, true).quant_min(), -128);
  EXPECT_EQ(spec_of(8, true, true).quant_max(), 127);
  EXPECT_EQ(spec_of(8, true, true, true).quant_min(), -127);
  EXPECT_EQ(spec_of(8, true, true, true).quant_max(), 127);
  EXPECT_EQ(spec_of(8, false, false).quant_min(), 0);
  EXPECT_EQ(spec_of(8, false, false).quant_max(), 255);
  EXPECT_EQ(spec_of(8, false, false, true).quant_min(), 1);
  EXPECT_EQ(spec_of(4, true, true).quant_min(), -8);
  EXPECT_EQ(spec_of(4, true, true).quant_max(), 7);
  EXPECT_EQ(spec_of(2, true, true).quant_min(), -2);
  EXPECT_EQ(spec_of(2, true, true).quant_max(), 1);
  EXPECT_EQ(spec_of(16, false, false).quant_max(), 65535);
  EXPECT_EQ(spec_of(16, true, true).quant_min(), -32768);
}

TEST(QuantSpec, ValidateRejectsBadFields) {
  ASSERT_THROWS_WITH(spec_of(1, true, true).validate(), Error, "quantization bits must be in [2, 16], got 1");
  ASSERT_THROWS_WITH(spec_of(17, true, true).validate(), Error, "quantization bits must be in [2, 16], got 17");
  ASSERT_THROWS_WITH(spec_of(8, true, true, false, -2).validate(), Error,
                     "quantization axis must be -1 (per-tensor) or a dimension >= 0, got -2");
  spec_of(16, false, false, false, 3).validate();
}

TEST(QParamsFromRange, SymmetricSignedUsesHalfTheGrid) {
  // max(|-1|, 2) / ((127 - -128) / 2) = 2 / 127.5
  const auto qp = range(-1.0f, 2.0f, spec_of(8, true, true));
  EXPECT_EQ(qp.scale.item<float>(), 2.0f / 127.5f);
  EXPECT_EQ(qp.zero_point.item<int>(), 0);
  EXPECT_EQ(qp.scale.scalar_type(), at::kFloat);
  EXPECT_EQ(qp.zero_point.scalar_type(), at::kInt);
  EXPECT_EQ(qp.scale.sizes(), at::IntArrayRef({1}));
  // Narrow range: 2 / 127 (TensorRT's symmetric int8).
  EXPECT_EQ(range(-1.0f, 2.0f, spec_of(8, true, true, true)).scale.item<float>(), 2.0f / 127.0f);
}

TEST(QParamsFromRange, SymmetricUnsignedCentresTheZeroPoint) {
  const auto qp = range(-1.0f, 2.0f, spec_of(8, false, true));
  EXPECT_EQ(qp.scale.item<float>(), 2.0f / 127.5f);
  EXPECT_EQ(qp.zero_point.item<int>(), 128);
}

TEST(QParamsFromRange, Asymmetric) {
  // uint8 [-1, 3]: scale 4/255, zero point 0 - round(-1 / (4/255)) = round(63.75) = 64.
  auto qp = range(-1.0f, 3.0f, spec_of(8, false, false));
  EXPECT_EQ(qp.scale.item<float>(), 4.0f / 255.0f);
  EXPECT_EQ(qp.zero_point.item<int>(), 64);
  // int8 [-1, 3]: same scale, zero point -128 + 64.
  qp = range(-1.0f, 3.0f, spec_of(8, true, false));
  EXPECT_EQ(qp.scale.item<float>(), 4.0f / 255.0f);
  EXPECT_EQ(qp.zero_point.item<int>(), -64);
  // A range that excludes 0 is widened to include it: [2, 4] -> [0, 4].
  qp = range(2.0f, 4.0f, spec_of(8, false, false));
  EXPECT_EQ(qp.scale.item<float>(), 4.0f / 255.0f);
  EXPECT_EQ(qp.zero_point.item<int>(), 0);
  // [-4, -2] -> [-4, 0]: zero point at the top of the grid.
  qp = range(-4.0f, -2.0f, spec_of(8, false, false));
  EXPECT_EQ(qp.zero_point.item<int>(), 255);
}

TEST(QParamsFromRange, DegenerateRangeGetsTheMinimumScale) {
  for (const auto& spec : {spec_of(8, true, true), spec_of(8, false, false)}) {
    const auto qp = range(0.0f, 0.0f, spec);
    EXPECT_EQ(qp.scale.item<float>(), kMinScale);
    EXPECT_GT(qp.scale.item<float>(), 0.0f);
    EXPECT_EQ(qp.zero_point.item<int>(), 0);
  }
  EXPECT_EQ(kMinScale, std::numeric_limits<float>::epsilon());
}

TEST(QParamsFromRange, PerChannel) {
  const auto qp = qparams_from_range(at::tensor({-1.0f, 0.0f, 0.0f}), at::tensor({1.0f, 4.0f, 0.0f}),
                                     spec_of(8, true, true, false, 0));
  ASSERT_EQ(qp.scale.sizes(), at::IntArrayRef({3}));
  EXPECT_EQ(qp.scale[0].item<float>(), 1.0f / 127.5f);
  EXPECT_EQ(qp.scale[1].item<float>(), 4.0f / 127.5f);
  EXPECT_EQ(qp.scale[2].item<float>(), kMinScale);
  EXPECT_TRUE(qp.zero_point.eq(0).all().item<bool>());
}

TEST(QParamsFromRange, RejectsBadRanges) {
  ASSERT_THROWS_WITH(range(1.0f, -1.0f, spec_of(8, true, true)), Error, "quantization range has min > max");
  ASSERT_THROWS_WITH(range(0.0f, std::numeric_limits<float>::infinity(), spec_of(8, true, true)), Error,
                     "quantization range is not finite (the observed data held NaN or inf)");
  ASSERT_THROWS_WITH(qparams_from_range(at::zeros({2}), at::ones({2}), spec_of(8, true, true)), Error,
                     "per-tensor quantization needs a scalar range, got 2 values");
}

TEST(CheckQParams, NamesTheProblem) {
  const auto spec = spec_of(8, false, false);
  check_qparams({at::tensor({2.0f}), at::tensor({128}, at::kInt)}, spec);
  ASSERT_THROWS_WITH(check_qparams({at::tensor({2.0f}), at::tensor({256}, at::kInt)}, spec), Error,
                     "zero point must lie in [0, 255]");
  ASSERT_THROWS_WITH(check_qparams({at::tensor({0.0f}), at::tensor({0}, at::kInt)}, spec), Error,
                     "scale must be positive and finite");
  ASSERT_THROWS_WITH(check_qparams({at::tensor({2.0}), at::tensor({0}, at::kInt)}, spec), Error,
                     "scale must be float32, got Double");
}

}  // namespace qat::quant
