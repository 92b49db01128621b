#include "qat/distill/distill_objective.h"

#include <cmath>

#include "support/test_support.h"

namespace qat::distill {
namespace {

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double bernoulli_kl(double q, double p) { return q * std::log(q / p) + (1 - q) * std::log((1 - q) / (1 - p)); }

LossSpec spec(const std::string& type, double weight, std::vector<std::string> taps = {}) {
  LossSpec s;
  s.type = type;
  s.weight = weight;
  s.taps = std::move(taps);
  return s;
}

// One image, three anchors, one class, one tap "f" (as in box_loss_test and feature_losses_test).
struct Batch {
  graph::ValueMap teacher, student;
  at::Tensor points = at::zeros({3, 2}), strides = at::tensor({8.f, 16.f, 8.f}), targets = at::zeros({0, 6});
  Batch() {
    teacher["logits"] = at::tensor({2.f, -5.f, 0.f}).reshape({1, 3, 1});
    student["logits"] = at::tensor({0.f, -5.f, 0.f}).reshape({1, 3, 1});
    teacher["boxes"] = at::tensor(std::vector<float>{0, 0, 8, 8, 0, 0, 8, 8, 0, 0, 8, 8}).reshape({1, 3, 4});
    student["boxes"] = at::tensor(std::vector<float>{0, 0, 8, 4, 100, 100, 120, 120, 0, 0, 8, 8}).reshape({1, 3, 4});
    teacher["f"] = at::tensor({2.f, 0.f}).reshape({1, 2});
    student["f"] = at::zeros({1, 2});
  }
  DistillContext ctx() const { return {teacher, student, points, strides, targets}; }
};

}  // namespace

TEST(DistillObjective, WeightedSumOfUnweightedParts) {
  Batch b;
  const DistillObjective objective({spec("feature_mse", 2, {"f"}), spec("score_bce", 0.5), spec("box_l1_giou", 3)});
  const auto parts = objective.compute(b.ctx());
  const double mse = 1.0;                                      // (4 + 0) / 2 over mean t^2 = 2
  const double bce = bernoulli_kl(sigmoid(2), 0.5) / 3;        // one of three entries differs
  const double box = sigmoid(2) / (sigmoid(2) + 0.5);          // anchor 0 costs 1, anchor 2 costs 0
  ASSERT_EQ(parts.values.size(), 3u);
  EXPECT_NEAR(parts.values.at("feature_mse"), mse, 1e-6);
  EXPECT_NEAR(parts.values.at("score_bce"), bce, 1e-6);
  EXPECT_NEAR(parts.values.at("box_l1_giou"), box, 1e-6);
  EXPECT_NEAR(parts.total.item<double>(), 2 * mse + 0.5 * bce + 3 * box, 1e-5);
  EXPECT_NEAR(parts.total.item<double>(), 3.96830649, 1e-5);
}

TEST(DistillObjective, RepeatedTypesAreKeptApartAndTapsAreUnited) {
  Batch b;
  b.teacher["g"] = b.student["g"] = at::ones({1, 3});
  const DistillObjective objective(
      {spec("feature_mse", 1, {"f"}), spec("score_kl", 1), spec("feature_mse", 4, {"g", "f"}), spec("feature_cosine", 1, {"g"})});
  EXPECT_EQ(objective.taps(), (std::vector<std::string>{"f", "g"}));
  const auto parts = objective.compute(b.ctx());
  EXPECT_NEAR(parts.values.at("feature_mse"), 1.0, 1e-6);
  EXPECT_NEAR(parts.values.at("feature_mse#2"), 0.5, 1e-6);  // (0 + 1) / 2 taps
  EXPECT_NEAR(parts.values.at("score_kl"), 0.0, 1e-6);        // one class: softmax is always 1
  EXPECT_NEAR(parts.total.item<double>(), 1.0 + 4 * 0.5 + parts.values.at("feature_cosine"), 1e-5);
}

TEST(DistillObjective, DefaultLossesAskForTheNeckTaps) {
  const DistillObjective objective(default_losses());
  EXPECT_EQ(objective.taps(), (std::vector<std::string>{"neck.5.cv2.act", "neck.8.cv2.act", "neck.11.cv2.act"}));
}

TEST(DistillObjective, Errors) {
  ASSERT_THROWS_WITH(DistillObjective({}), Error, "distillation: no losses given");
  ASSERT_THROWS_WITH(DistillObjective({spec("score_kll", 1)}), Error,
                     "unknown distillation loss 'score_kll'; did you mean 'score_kl'?");
  Batch b;
  const DistillObjective objective({spec("score_bce", 1), spec("feature_mse", 1, {"neck.5.cv2.act"})});
  try {
    objective.compute(b.ctx());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "distillation tap 'neck.5.cv2.act' is not among the computed values");
    EXPECT_EQ(e.context(), (std::vector<std::string>{"computing distillation loss 'feature_mse'"}));
  }
}

}  // namespace qat::distill
