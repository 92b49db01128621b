#include "qat/train/optimizer.h"

#include "qat/train/lr_schedule.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

at::Tensor param(std::vector<float> v) {
  auto t = at::tensor(v);
  t.set_requires_grad(true);
  return t;
}

void set_grad(at::Tensor& p, std::vector<float> g) { p.mutable_grad() = at::tensor(g); }

}  // namespace

TEST(Sgd, NesterovMomentumAndDecayOnWeightsOnly) {
  auto w = param({1.0f});
  auto b = param({1.0f});
  OptimizerOptions o;
  o.momentum = 0.5;
  o.weight_decay = 0.1;
  auto opt = optimizer_registry().get("sgd")({{"conv.weight", w}, {"conv.bias", b}}, o);
  set_grad(w, {1.0f});
  set_grad(b, {1.0f});
  opt->step(0.1);
  // weight: g = 1 + 0.1*1 = 1.1; buf = 1.1; update = g + 0.5*buf = 1.65 → 1 - 0.165
  EXPECT_FLOAT_EQ(w.item<float>(), 1.0f - 0.165f);
  // bias: no decay: g = 1; buf = 1; update = 1.5 → 1 - 0.15
  EXPECT_FLOAT_EQ(b.item<float>(), 0.85f);
  EXPECT_FLOAT_EQ(opt->state().at("conv.weight/momentum").item<float>(), 1.1f);
}

TEST(AdamW, FirstStepMovesByLrTimesSign) {
  auto w = param({1.0f, -1.0f});
  OptimizerOptions o;
  o.weight_decay = 0.0;
  auto opt = optimizer_registry().get("adamw")({{"x.weight", w}}, o);
  set_grad(w, {0.3f, -2.0f});
  opt->step(0.01);
  // Bias-corrected m/sqrt(v) = sign(g) on the first step (up to eps).
  EXPECT_NEAR(w[0].item<float>(), 0.99f, 1e-6);
  EXPECT_NEAR(w[1].item<float>(), -0.99f, 1e-6);
}

TEST(Optimizer, StateRoundTripResumesIdentically) {
  auto run = [](bool restore_midway) {
    auto w = param({1.0f, 2.0f});
    OptimizerOptions o;
    auto opt = optimizer_registry().get("sgd")({{"a.weight", w}}, o);
    std::map<std::string, at::Tensor> saved;
    at::Tensor saved_w;
    for (int i = 0; i < 4; ++i) {
      if (restore_midway && i == 2) {
        // A fresh optimizer with restored state and weights, as after a resume.
        auto w2 = param({0.0f, 0.0f});
        {
          at::NoGradGuard g;
          w2.copy_(saved_w);
        }
        w = w2;
        opt = optimizer_registry().get("sgd")({{"a.weight", w}}, o);
        opt->load_state(saved);
      }
      set_grad(w, {0.5f, -0.25f});
      opt->step(0.1);
      if (i == 1) {
        saved = opt->state();
        saved_w = w.detach().clone();
      }
    }
    return w.detach().clone();
  };
  EXPECT_TRUE(at::equal(run(false), run(true)));
}

TEST(Optimizer, UnknownNameSuggests) {
  ASSERT_THROWS_WITH(optimizer_registry().get("adam"), Error, "unknown optimizer 'adam'; did you mean 'adamw'?");
}

TEST(LrSchedule, WarmupThenCosineToTheFloor) {
  LrSchedule s{0.1, 1.0, 0.1, 11.0, 0.05, true};
  EXPECT_DOUBLE_EQ(s.at(0.0), 0.01);
  EXPECT_DOUBLE_EQ(s.at(0.5), 0.055);
  EXPECT_DOUBLE_EQ(s.at(1.0), 0.1);
  EXPECT_NEAR(s.at(6.0), 0.005 + 0.095 * 0.5, 1e-12);  // half way through the cosine
  EXPECT_DOUBLE_EQ(s.at(11.0), 0.005);
  EXPECT_DOUBLE_EQ(s.at(20.0), 0.005);
  s.cosine = false;
  EXPECT_DOUBLE_EQ(s.at(6.0), 0.1);
}

}  // namespace qat::train
