// The running-range observers (minmax, ema_minmax) and the shared Observer behaviour.
#include "qat/quant/ema_minmax_observer.h"
#include "qat/quant/minmax_observer.h"

#include "support/test_support.h"

namespace qat::quant {

namespace {

QuantSpec per_channel(int64_t axis) {
  QuantSpec s;
  s.axis = axis;
  return s;
}

QuantSpec uint8_asymmetric() {
  QuantSpec s;
  s.is_signed = false;
  s.symmetric = false;
  return s;
}

}  // namespace

TEST(MinMaxObserver, KeepsTheRunningRange) {
  MinMaxObserver obs(uint8_asymmetric());
  EXPECT_FALSE(obs.ready());
  obs.observe(at::tensor({1.0f, -2.0f, 3.0f}));
  obs.observe(at::tensor({5.0f, 0.0f}).reshape({1, 2}));
  obs.observe(at::zeros({0}));  // ignored
  ASSERT_TRUE(obs.ready());
  EXPECT_EQ(obs.min().item<float>(), -2.0f);
  EXPECT_EQ(obs.max().item<float>(), 5.0f);
  const auto qp = obs.compute(uint8_asymmetric());
  // [-2, 5]: scale 7/255, zero point round(2 / (7/255)) = round(72.857) = 73.
  EXPECT_EQ(qp.scale.item<float>(), 7.0f / 255.0f);
  EXPECT_EQ(qp.zero_point.item<int>(), 73);
  obs.reset();
  EXPECT_FALSE(obs.ready());
}

TEST(MinMaxObserver, PerChannelGivesPerChannelScales) {
  MinMaxObserver obs(per_channel(1));
  obs.observe(at::tensor({1.0f, -2.0f, 0.5f, -1.0f, 4.0f, 0.25f}).reshape({2, 3}));
  const auto qp = obs.compute(per_channel(1));
  ASSERT_EQ(qp.scale.sizes(), at::IntArrayRef({3}));
  EXPECT_EQ(qp.scale[0].item<float>(), 1.0f / 127.5f);
  EXPECT_EQ(qp.scale[1].item<float>(), 4.0f / 127.5f);
  EXPECT_EQ(qp.scale[2].item<float>(), 0.5f / 127.5f);
  EXPECT_TRUE(qp.zero_point.eq(0).all().item<bool>());
}

TEST(MinMaxObserver, PerChannelOnAConvWeight) {
  MinMaxObserver obs(per_channel(0));
  auto w = at::zeros({2, 3, 2, 2});
  w[0][1][1][0] = -3.0f;
  w[1][2][0][1] = 0.5f;
  obs.observe(w);
  EXPECT_TRUE(at::equal(obs.min(), at::tensor({-3.0f, 0.0f})));
  EXPECT_TRUE(at::equal(obs.max(), at::tensor({0.0f, 0.5f})));
}

TEST(Observer, ErrorsNameTheObserver) {
  MinMaxObserver obs(per_channel(1));
  ASSERT_THROWS_WITH(obs.compute(per_channel(1)), Error, "observer 'minmax' has seen no data: calibrate first");
  ASSERT_THROWS_WITH(obs.observe(at::zeros({4})), ShapeError,
                     "per-channel axis 1 does not exist in a tensor of shape [4]");
  obs.observe(at::zeros({2, 3}));
  ASSERT_THROWS_WITH(obs.observe(at::zeros({2, 4})), Error,
                     "observer 'minmax' saw 3 channels on axis 1 before but now 4 (shape [2, 4])");
  ASSERT_THROWS_WITH(obs.compute(QuantSpec{}), Error,
                     "observer 'minmax' was built for axis 1 but asked for qparams on axis -1");
}

TEST(EmaMinMaxObserver, FirstBatchInitialisesThenAverages) {
  EmaMinMaxObserver obs(QuantSpec{});
  EXPECT_EQ(obs.averaging_constant(), 0.01);
  obs.observe(at::tensor({0.0f, 1.0f}));
  EXPECT_EQ(obs.min().item<float>(), 0.0f);
  EXPECT_EQ(obs.max().item<float>(), 1.0f);
  obs.observe(at::tensor({-10.0f, 3.0f}));
  // min = 0 + 0.01 * (-10 - 0) = -0.1; max = 1 + 0.01 * (3 - 1) = 1.02 (float32 arithmetic).
  EXPECT_FLOAT_EQ(obs.min().item<float>(), -0.1f);
  EXPECT_FLOAT_EQ(obs.max().item<float>(), 1.02f);
  EXPECT_EQ(obs.max().item<float>(), 1.0f + 0.01f * 2.0f);
  // Symmetric int8 over [-0.1, 1.02]: 1.02 / 127.5.
  EXPECT_FLOAT_EQ(obs.compute(QuantSpec{}).scale.item<float>(), 1.02f / 127.5f);
}

TEST(EmaMinMaxObserver, PerChannelAndBadConstant) {
  EmaMinMaxObserver obs(per_channel(0), 0.5);
  obs.observe(at::tensor({1.0f, 2.0f}).reshape({2, 1}));
  obs.observe(at::tensor({3.0f, 0.0f}).reshape({2, 1}));
  EXPECT_TRUE(at::equal(obs.max(), at::tensor({2.0f, 1.0f})));
  EXPECT_TRUE(at::equal(obs.min(), at::tensor({2.0f, 1.0f})));
  ASSERT_THROWS_WITH(EmaMinMaxObserver(QuantSpec{}, 0.0), Error,
                     "ema_minmax averaging constant must be in (0, 1], got 0");
}

}  // namespace qat::quant
