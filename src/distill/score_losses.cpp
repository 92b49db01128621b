#include "qat/distill/score_losses.h"

#include "distill/context_values.h"

namespace qat::distill {
namespace {

double checked_temperature(double t, const char* loss) {
  QAT_CHECK(t > 0, loss, ": temperature must be > 0, got ", t);
  return t;
}

}  // namespace

ScoreBceLoss::ScoreBceLoss(double temperature, const std::string& anchor_weight, double threshold, double band)
    : temperature_(checked_temperature(temperature, "score_bce")),
      anchor_weight_(anchor_weight),
      threshold_(threshold),
      band_(band) {
  QAT_CHECK(anchor_weight == "uniform" || anchor_weight == "confident" || anchor_weight == "threshold",
            "score_bce: anchor_weight must be uniform, confident or threshold, got '", anchor_weight, "'");
  if (anchor_weight == "threshold") {
    QAT_CHECK(threshold > 0 && threshold < 1, "score_bce: threshold must be in (0,1), got ", threshold);
    QAT_CHECK(band > 0, "score_bce: band must be > 0, got ", band);
  }
}

at::Tensor ScoreBceLoss::compute(const DistillContext& ctx) const {
  const auto p = detail::logits_pair(ctx, "score_bce");
  const auto s = p.student / temperature_;
  const auto t = p.teacher / temperature_;
  const auto q = at::sigmoid(t);
  // In log-sigmoid form to stay finite for large |logits|:
  // q (log σ(t) - log σ(s)) + (1 - q) (log σ(-t) - log σ(-s)).
  const auto kl = q * (at::log_sigmoid(t) - at::log_sigmoid(s)) + (1 - q) * (at::log_sigmoid(-t) - at::log_sigmoid(-s));
  const double t2 = temperature_ * temperature_;
  if (anchor_weight_ == "uniform") return kl.mean() * t2;
  if (anchor_weight_ == "threshold") {
    const auto near = [&](const at::Tensor& logits) {
      return at::exp(-0.5 * at::square((at::sigmoid(logits.detach()) - threshold_) / band_));
    };
    const auto w = at::maximum(near(p.teacher), near(p.student));  // [B,A,C]
    return (w * kl).sum() / w.sum().clamp_min(1.0) * t2;
  }
  const auto w = std::get<0>(at::max(at::sigmoid(p.teacher), at::sigmoid(p.student)).detach().max(-1));  // [B,A]
  // Sigmoid scores are never exactly 0, so the weight sum is positive.
  return (w * kl.sum(-1)).sum() / w.sum() * t2;
}

ScoreKlLoss::ScoreKlLoss(double temperature) : temperature_(checked_temperature(temperature, "score_kl")) {}

at::Tensor ScoreKlLoss::compute(const DistillContext& ctx) const {
  const auto p = detail::logits_pair(ctx, "score_kl");
  const auto log_t = at::log_softmax(p.teacher / temperature_, -1);
  const auto log_s = at::log_softmax(p.student / temperature_, -1);
  const auto kl = (log_t.exp() * (log_t - log_s)).sum(-1);  // [B,A]
  const auto w = at::sigmoid(std::get<0>(p.teacher.max(-1)));
  // Sigmoid scores are never exactly 0, so the weight sum is positive.
  return (w * kl).sum() / w.sum() * (temperature_ * temperature_);
}

std::unique_ptr<DistillLoss> make_score_bce(const LossSpec& spec) {
  return std::make_unique<ScoreBceLoss>(spec.temperature, spec.anchor_weight, spec.threshold, spec.band);
}

std::unique_ptr<DistillLoss> make_score_kl(const LossSpec& spec) {
  return std::make_unique<ScoreKlLoss>(spec.temperature);
}

}  // namespace qat::distill
