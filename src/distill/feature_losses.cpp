#include "qat/distill/feature_losses.h"

#include "distill/context_values.h"

namespace qat::distill {
namespace {

// Guards mean(t^2) of an all-zero teacher feature (a dead ReLU map): the loss then
// is the plain squared error scaled up, not a division by zero.
constexpr double kEps = 1e-12;

std::vector<std::string> checked_taps(std::vector<std::string> taps, const char* loss) {
  QAT_CHECK(!taps.empty(), loss, ": expected at least one tap");
  return taps;
}

// Mean over taps of `per_tap`.
template <typename F>
at::Tensor average_taps(const DistillContext& ctx, const std::vector<std::string>& taps, const char* loss,
                        F per_tap) {
  at::Tensor sum;
  for (const auto& tap : taps) {
    const auto p = detail::value_pair(ctx, tap, loss);
    const at::Tensor v = per_tap(p.student, p.teacher, tap);
    sum = sum.defined() ? sum + v : v;
  }
  return sum / static_cast<double>(taps.size());
}

}  // namespace

FeatureMseLoss::FeatureMseLoss(std::vector<std::string> taps) : taps_(checked_taps(std::move(taps), "feature_mse")) {}

at::Tensor FeatureMseLoss::compute(const DistillContext& ctx) const {
  return average_taps(ctx, taps_, "feature_mse", [](const at::Tensor& s, const at::Tensor& t, const std::string&) {
    return (s - t).square().mean() / t.square().mean().clamp_min(kEps);
  });
}

FeatureCosineLoss::FeatureCosineLoss(std::vector<std::string> taps)
    : taps_(checked_taps(std::move(taps), "feature_cosine")) {}

at::Tensor FeatureCosineLoss::compute(const DistillContext& ctx) const {
  return average_taps(ctx, taps_, "feature_cosine", [](const at::Tensor& s, const at::Tensor& t, const std::string& tap) {
    if (s.dim() < 2) {
      throw ShapeError("feature_cosine: tap '" + tap + "' must be [B,C,...], got " + qat::detail::shape_text(s));
    }
    return (1 - at::cosine_similarity(s, t, 1, 1e-8)).mean();
  });
}

std::unique_ptr<DistillLoss> make_feature_mse(const LossSpec& spec) {
  return std::make_unique<FeatureMseLoss>(spec.taps);
}

std::unique_ptr<DistillLoss> make_feature_cosine(const LossSpec& spec) {
  return std::make_unique<FeatureCosineLoss>(spec.taps);
}

}  // namespace qat::distill
