#include "qat/quant/fake_quantizer.h"

#include <torch/csrc/autograd/function.h>

#include "qat/quant/minmax_observer.h"
#include "qat/quant/quantize.h"
#include "support/test_support.h"

namespace qat::quant {

namespace {

QuantSpec spec_on(int64_t axis, bool is_signed = true, bool symmetric = true) {
  QuantSpec s;
  s.axis = axis;
  s.is_signed = is_signed;
  s.symmetric = symmetric;
  return s;
}

QParams per_tensor(float scale, int zero_point) {
  return {at::tensor({scale}), at::tensor({zero_point}, at::kInt)};
}

std::vector<float> floats(const at::Tensor& t) {
  const auto c = t.detach().to(at::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// Calibrates a minmax fake quantizer on `x` and checks its output against the reference.
void expect_matches_reference(const QuantSpec& spec, const at::Tensor& x) {
  FakeQuantizer fq(spec, make_minmax(spec));
  const auto y = fq(x);
  const auto qp = fq.qparams();
  EXPECT_EQ(qp.scale.numel(), spec.per_channel() ? x.size(spec.axis) : 1);
  const auto ref = dequantize(quantize(x, qp, spec), qp, spec);
  EXPECT_TRUE(at::equal(y, ref)) << "max difference " << (y - ref).abs().max().item<float>();
}

}  // namespace

TEST(FakeQuantize, AtenRoundsHalfToEvenAndSaturates) {
  const auto y = fake_quantize(at::tensor({0.25f, 0.75f, 1.25f, -0.75f, 100.0f, -100.0f}), per_tensor(0.5f, 0),
                               QuantSpec{});
  EXPECT_EQ(floats(y), (std::vector<float>{0.0f, 1.0f, 1.0f, -1.0f, 63.5f, -64.0f}));
}

TEST(FakeQuantizer, ForwardEqualsDequantizeOfQuantize) {
  at::manual_seed(0);
  const auto x = at::randn({4, 3, 5, 5}) * 2 + 0.5;
  expect_matches_reference(spec_on(-1), x);
  expect_matches_reference(spec_on(-1, false, false), x);
  expect_matches_reference(spec_on(0), x);
  expect_matches_reference(spec_on(1), x);
  expect_matches_reference(spec_on(1, false, false), x);
  expect_matches_reference(spec_on(3, true, false), x);
}

TEST(FakeQuantizer, StraightThroughGradientMasksClippedValues) {
  // int8 with scale 0.01 represents [-1.28, 1.27].
  FakeQuantizer fq(QuantSpec{}, make_minmax(QuantSpec{}));
  fq.set_observing(false);
  fq.set_qparams(per_tensor(0.01f, 0));
  const auto x = at::tensor({-2.0f, -1.28f, -0.5f, 0.0f, 0.3f, 1.27f, 1.3f, 5.0f}).requires_grad_(true);
  fq(x).sum().backward();
  EXPECT_EQ(floats(x.grad()), (std::vector<float>{0, 1, 1, 1, 1, 1, 0, 0}));
}

TEST(FakeQuantizer, PerChannelStraightThroughGradient) {
  QuantSpec spec = spec_on(0);
  FakeQuantizer fq(spec, make_minmax(spec));
  fq.set_observing(false);
  fq.set_qparams({at::tensor({0.01f, 1.0f}), at::zeros({2}, at::kInt)});
  const auto x = at::tensor({2.0f, 1.0f, 2.0f, 200.0f}).reshape({2, 2}).requires_grad_(true);
  fq(x).sum().backward();
  EXPECT_EQ(floats(x.grad()), (std::vector<float>{0, 1, 1, 0}));
}

TEST(FakeQuantizer, RefusesToQuantizeBeforeCalibration) {
  FakeQuantizer fq(QuantSpec{}, make_minmax(QuantSpec{}));
  fq.set_observing(false);
  ASSERT_THROWS_WITH(fq(at::ones({2})), Error, "quantizer has no range yet: calibrate first");
  ASSERT_THROWS_WITH(fq.qparams(), Error, "quantizer has no range yet: calibrate first");
  EXPECT_FALSE(fq.has_qparams());
  fq.set_qparams(per_tensor(0.5f, 0));
  EXPECT_EQ(floats(fq(at::tensor({0.3f}))), (std::vector<float>{0.5f}));
}

TEST(FakeQuantizer, ObservingWithoutFakeQuantPassesThrough) {
  FakeQuantizer fq(QuantSpec{}, make_minmax(QuantSpec{}));
  fq.set_fake_quant(false);
  const auto x = at::tensor({-1.0f, 0.3f, 2.0f});
  EXPECT_TRUE(fq(x).is_same(x));
  EXPECT_TRUE(fq.has_qparams());
  EXPECT_EQ(fq.qparams().scale.item<float>(), 2.0f / 127.5f);
  // Frozen range: later batches no longer move it.
  fq.set_observing(false);
  fq(at::tensor({100.0f}));
  EXPECT_EQ(fq.qparams().scale.item<float>(), 2.0f / 127.5f);
}

TEST(FakeQuantizer, LearnableScaleGetsTheLsqGradient) {
  FakeQuantizer fq(QuantSpec{}, make_minmax(QuantSpec{}), /*learnable=*/true);
  ASSERT_THROWS_WITH(fq.parameters(), Error, "quantizer has no range yet: calibrate first");
  fq.set_observing(false);
  fq.set_qparams(per_tensor(1.0f, 0));
  const auto params = fq.parameters();
  ASSERT_EQ(params.size(), 1u);
  ASSERT_TRUE(params[0].requires_grad());
  const auto x = at::tensor({0.4f, 1.6f, 300.0f, -300.0f}).requires_grad_(true);
  fq(x).sum().backward();
  // d/ds: round(x/s) - x/s inside the grid, quant_max or quant_min (minus zero point) outside:
  // (0 - 0.4) + (2 - 1.6) + 127 + (-128) = -1.
  ASSERT_TRUE(params[0].grad().defined());
  EXPECT_NEAR(params[0].grad().item<float>(), -1.0f, 1e-5);
  EXPECT_EQ(floats(x.grad()), (std::vector<float>{1, 1, 0, 0}));
  // Recalibration writes into the same tensor, so an optimizer keeps training it.
  fq.set_qparams(per_tensor(2.0f, 0));
  EXPECT_EQ(params[0].item<float>(), 2.0f);
}

TEST(FakeQuantizer, LearnablePerChannel) {
  QuantSpec spec = spec_on(1);
  FakeQuantizer fq(spec, make_minmax(spec), true);
  const auto x = at::tensor({0.4f, -2.0f, 1.0f, 3.0f}).reshape({2, 2});
  const auto y = fq(x);
  EXPECT_TRUE(at::equal(y, dequantize(quantize(x, fq.qparams(), spec), fq.qparams(), spec)));
  y.sum().backward();
  ASSERT_EQ(fq.parameters()[0].grad().sizes(), at::IntArrayRef({2}));
}

TEST(FakeQuantizer, ObserverMustShareTheAxis) {
  ASSERT_THROWS_WITH(FakeQuantizer(spec_on(0), make_minmax(QuantSpec{})), Error,
                     "observer 'minmax' was built for axis -1 but the quantizer quantizes along axis 0");
  ASSERT_THROWS_WITH(FakeQuantizer(QuantSpec{}, nullptr), Error, "a fake quantizer needs an observer");
}

TEST(FakeQuantizer, WrongChannelCountIsAShapeError) {
  QuantSpec spec = spec_on(0);
  FakeQuantizer fq(spec, make_minmax(spec));
  fq.set_observing(false);
  fq.set_qparams({at::ones({3}), at::zeros({3}, at::kInt)});
  ASSERT_THROWS_WITH(fq(at::ones({2, 4})), ShapeError,
                     "per-channel parameters of length 3 do not fit axis 0 of a tensor of shape [2, 4]");
}

}  // namespace qat::quant

namespace qat::quant {

TEST(FakeQuantizer, OfSiluObservesTheSiluAndFusesOnlyWithFixedPerTensorQParams) {
  const auto x = at::tensor({-4.0f, -1.0f, 0.0f, 2.0f, 6.0f});
  const auto silu = at::silu(x);
  FakeQuantizer fq(spec_on(-1, false, false), make_minmax(spec_on(-1, false, false)));
  // Observing: the observer sees silu(x), whose range [-0.278, 5.985] sets the grid.
  const auto observed = fq.of_silu(x);
  EXPECT_TRUE(at::equal(observed, fq(silu)));
  EXPECT_FLOAT_EQ(fq.qparams().scale.item<float>(), (silu.max() - silu.min()).item<float>() / 255);
  // Fixed qparams: one kernel, the same bits as the quantizer on at::silu(x).
  fq.set_observing(false);
  const auto xg = x.clone().requires_grad_(true);
  const auto fused = fq.of_silu(xg);
  EXPECT_NE(fused.grad_fn()->name().find("SiluFakeQuant"), std::string::npos) << fused.grad_fn()->name();
  EXPECT_TRUE(qat::testing::same_bits(fused, fq(silu)));
  // Fake quantization off: the SiLU itself.
  fq.set_fake_quant(false);
  EXPECT_TRUE(at::equal(fq.of_silu(x), silu));
}

}  // namespace qat::quant
