// Losses on the classification logits [B,A,C], softened by a temperature T.
#pragma once

#include "qat/distill/distill_loss.h"

namespace qat::distill {

/// Per anchor and class, the Bernoulli KL divergence of sigmoid(s/T) from
/// sigmoid(t/T), i.e. BCE(s/T, sigmoid(t/T)) minus the teacher's own entropy
/// (same gradient as the BCE, but 0 when the student matches), times T^2.
///   uniform:   mean over every anchor and class;
///   confident: sum over classes, averaged over anchors weighted by
///              w_a = max_c max(sigmoid(t), sigmoid(s)) (unscaled, no gradient), so
///              the anchors where either network sees an object carry the loss
///              instead of thousands of background anchors.
///   threshold: per anchor and class, weighted by
///              w = max(k(sigmoid(t)), k(sigmoid(s))), k(p) = exp(-((p - threshold) / band)^2 / 2)
///              (no gradient), normalized by max(1, sum w): the loss sits on the scores
///              that decide a detection at the deployed threshold.
class ScoreBceLoss : public DistillLoss {
 public:
  explicit ScoreBceLoss(double temperature, const std::string& anchor_weight = "uniform", double threshold = 0.5,
                        double band = 0.05);
  at::Tensor compute(const DistillContext& ctx) const override;

 private:
  double temperature_;
  std::string anchor_weight_;
  double threshold_, band_;
};

/// Per anchor, KL(softmax(t/T) || softmax(s/T)) over classes, times T^2; averaged
/// over anchors weighted by the teacher's highest score sigmoid(max_c t), so that
/// confident anchors dominate the class-distribution match.
class ScoreKlLoss : public DistillLoss {
 public:
  explicit ScoreKlLoss(double temperature);
  at::Tensor compute(const DistillContext& ctx) const override;

 private:
  double temperature_;
};

std::unique_ptr<DistillLoss> make_score_bce(const LossSpec& spec);
std::unique_ptr<DistillLoss> make_score_kl(const LossSpec& spec);

}  // namespace qat::distill
