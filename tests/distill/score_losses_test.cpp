#include "qat/distill/score_losses.h"

#include <cmath>

#include "support/test_support.h"

namespace qat::distill {
namespace {

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
// Bernoulli KL of p from q: q log(q/p) + (1-q) log((1-q)/(1-p)).
double bernoulli_kl(double q, double p) { return q * std::log(q / p) + (1 - q) * std::log((1 - q) / (1 - p)); }

struct Logits {
  graph::ValueMap teacher, student;
  at::Tensor points = at::zeros({0, 2}), strides = at::zeros({0}), targets = at::zeros({0, 6});
  Logits(std::vector<float> t, std::vector<float> s, std::vector<int64_t> shape) {
    teacher["logits"] = at::tensor(t).reshape(shape);
    student["logits"] = at::tensor(s).reshape(shape);
  }
  DistillContext ctx() const { return {teacher, student, points, strides, targets}; }
};

}  // namespace

TEST(ScoreBce, HandComputedAtTemperatureOne) {
  // [B=1, A=1, C=2]: class 0 matches (0 vs 0 → 0); class 1 teacher 2, student 0.
  Logits l({0, 2}, {0, 0}, {1, 1, 2});
  const double expected = bernoulli_kl(sigmoid(2), 0.5) / 2;  // 0.163907
  EXPECT_NEAR(ScoreBceLoss(1.0).compute(l.ctx()).item<double>(), expected, 1e-6);
  EXPECT_NEAR(expected, 0.16390666, 1e-7);
}

TEST(ScoreBce, TemperatureSoftensAndScalesBySquare) {
  Logits l({0, 2}, {0, 0}, {1, 1, 2});
  // Logits / 2: teacher 1, student 0; times T^2 = 4; mean over 2 entries.
  const double expected = 4 * bernoulli_kl(sigmoid(1), 0.5) / 2;  // 0.221888
  EXPECT_NEAR(ScoreBceLoss(2.0).compute(l.ctx()).item<double>(), expected, 1e-6);
  EXPECT_NEAR(expected, 0.22188814, 1e-7);
}

TEST(ScoreBce, ConfidentWeightingAveragesAnchorsByTheirTopScore) {
  // [B=1, A=2, C=2]. Anchor 0: teacher (2, 0), student (0, 0): w0 = sigmoid(2), its
  // KL sum = kl(sigmoid(2), 0.5) + 0. Anchor 1: background, teacher (-4, -4), student
  // (-2, -4): w1 = sigmoid(-2), KL sum = kl(sigmoid(-4), sigmoid(-2)) + 0.
  Logits l({2, 0, -4, -4}, {0, 0, -2, -4}, {1, 2, 2});
  const double w0 = sigmoid(2), w1 = sigmoid(-2);
  const double k0 = bernoulli_kl(sigmoid(2), 0.5), k1 = bernoulli_kl(sigmoid(-4), sigmoid(-2));
  const double expected = (w0 * k0 + w1 * k1) / (w0 + w1);
  EXPECT_NEAR(ScoreBceLoss(1.0, "confident").compute(l.ctx()).item<double>(), expected, 1e-6);
  EXPECT_NEAR(expected, 0.297416, 1e-6);
  // Uniform: the mean of the same four entries.
  EXPECT_NEAR(ScoreBceLoss(1.0).compute(l.ctx()).item<double>(), (k0 + k1) / 4, 1e-6);
  ASSERT_THROWS_WITH(ScoreBceLoss(1.0, "loud"), Error,
                     "score_bce: anchor_weight must be uniform, confident or threshold, got 'loud'");
}

TEST(ScoreBce, ThresholdWeightingCentresOnTheDeployedThreshold) {
  // [B=1, A=2, C=2] at threshold 0.7, band 0.05. Anchor 0 class 0: teacher exactly at
  // the threshold (w = 1), student at 0.5. Anchor 1 class 0: teacher 0.881, student
  // 0.731 (the student's kernel value weighs it). Class 1 is background (w ~ e^-93).
  const double logit_07 = std::log(0.7 / 0.3);
  Logits l({static_cast<float>(logit_07), -4, 2, -4}, {0, -4, 1, -4}, {1, 2, 2});
  const auto k = [](double p) { return std::exp(-0.5 * std::pow((p - 0.7) / 0.05, 2)); };
  const double w0 = 1.0, w1 = std::max(k(sigmoid(2)), k(sigmoid(1)));
  const double expected = (w0 * bernoulli_kl(0.7, 0.5) + w1 * bernoulli_kl(sigmoid(2), sigmoid(1))) / (w0 + w1);
  EXPECT_NEAR(w1, 0.82454, 1e-5);
  EXPECT_NEAR(ScoreBceLoss(1.0, "threshold", 0.7, 0.05).compute(l.ctx()).item<double>(), expected, 1e-6);
  // Far from the threshold the weights sum below 1 and are not inflated: the loss
  // nearly vanishes although the student differs (unweighted KL 0.07).
  Logits far({-1}, {-2}, {1, 1, 1});
  EXPECT_LT(ScoreBceLoss(1.0, "threshold", 0.7, 0.05).compute(far.ctx()).item<double>(), 1e-10);
  ASSERT_THROWS_WITH(ScoreBceLoss(1.0, "threshold", 1.0), Error, "score_bce: threshold must be in (0,1), got 1");
}

TEST(ScoreBce, FiniteForSaturatedLogits) {
  Logits l({60, -60}, {-60, 60}, {1, 2, 1});
  const double v = ScoreBceLoss(1.0).compute(l.ctx()).item<double>();
  // A certain teacher (q = 1 or 0) makes each entry -log sigmoid(-60) = 60 (+ e^-60).
  EXPECT_NEAR(v, 60.0, 1e-3);
}

TEST(ScoreKl, ClassDistributionsWeightedByTeacherConfidence) {
  // Anchor 0: teacher uniform (weight sigmoid(0) = 0.5), student softmax(log 3, 0) = (3/4, 1/4):
  // KL = 0.5 log(0.5/0.75) + 0.5 log(0.5/0.25) = 0.5 log(4/3).
  // Anchor 1: equal logits, KL 0, weight sigmoid(2).
  Logits l({0, 0, 2, 0}, {static_cast<float>(std::log(3.0)), 0, 2, 0}, {1, 2, 2});
  const double w0 = 0.5, w1 = sigmoid(2);
  const double expected = w0 * 0.5 * std::log(4.0 / 3.0) / (w0 + w1);  // 0.052086
  EXPECT_NEAR(ScoreKlLoss(1.0).compute(l.ctx()).item<double>(), expected, 1e-6);
  EXPECT_NEAR(expected, 0.05208623, 1e-7);
}

TEST(ScoreKl, TemperatureDividesLogitsNotWeights) {
  // Student logit 2 log 3 at T=2 gives the same (3/4, 1/4); times T^2 = 4. The weight of
  // anchor 1 stays sigmoid(2), from the unscaled teacher logits.
  Logits l({0, 0, 2, 0}, {static_cast<float>(2 * std::log(3.0)), 0, 2, 0}, {1, 2, 2});
  const double expected = 4 * 0.5 * 0.5 * std::log(4.0 / 3.0) / (0.5 + sigmoid(2));
  EXPECT_NEAR(ScoreKlLoss(2.0).compute(l.ctx()).item<double>(), expected, 1e-6);
}

TEST(ScoreLosses, RejectBadInput) {
  Logits l({0, 0}, {0, 0}, {1, 2});
  ASSERT_THROWS_WITH(ScoreBceLoss(1.0).compute(l.ctx()), ShapeError, "score_bce: logits must be [B,A,C], got [1,2]");
  ASSERT_THROWS_WITH(ScoreKlLoss(0.0), Error, "score_kl: temperature must be > 0, got 0");
  graph::ValueMap empty;
  const at::Tensor none;
  ASSERT_THROWS_WITH(ScoreKlLoss(1.0).compute(DistillContext{empty, l.student, none, none, none}), Error,
                     "distillation tap 'logits' is not among the computed values");
}

}  // namespace qat::distill
